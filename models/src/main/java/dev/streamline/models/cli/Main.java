package dev.streamline.models.cli;

import picocli.CommandLine;

/** Entry point of {@code models-cli.jar}: {@code train} and {@code evaluate}. */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code; errors are one line, never a stack trace. */
  public static int run(String... args) {
    // DJL must never reach the network: no model zoo, no usage tracking.
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    // The engine's start-up chatter (thread counts, the GPU probe on CPU machines) is not news.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error");
    CommandLine cli = new CommandLine(new ModelsCommand());
    // picocli's default follows the message with the whole usage, which buries it.
    cli.setParameterExceptionHandler((e, arguments) -> {
      CommandLine line = e.getCommandLine();
      line.getErr().println("error: " + e.getMessage());
      line.getErr().println("Try '" + line.getCommandSpec().qualifiedName() + " --help'.");
      return 2;
    });
    cli.setExecutionExceptionHandler((e, line, parsed) -> {
      line.getErr().println("error: " + e.getMessage());
      return 1;
    });
    return cli.execute(args);
  }

  @CommandLine.Command(name = "models", mixinStandardHelpOptions = true,
      description = "Train and evaluate Streamline's vector-field models.",
      subcommands = {TrainCommand.class, EvaluateCommand.class})
  static final class ModelsCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      throw new CommandLine.ParameterException(spec.commandLine(), "name a command: train or evaluate");
    }
  }
}
