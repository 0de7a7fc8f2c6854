package dev.streamline.models.cli;

import picocli.CommandLine;

/** Entry point of {@code models-cli.jar}: {@code train}, {@code evaluate} and {@code import}. */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code; errors are one line, never a stack trace. */
  public static int run(String... args) {
    return OfflineCommandLine.of(new ModelsCommand()).execute(args);
  }

  @CommandLine.Command(name = "models", mixinStandardHelpOptions = true,
      description = "Train, evaluate and import Streamline's vector-field models.",
      subcommands = {TrainCommand.class, EvaluateCommand.class, ImportCommand.class})
  static final class ModelsCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      throw new CommandLine.ParameterException(spec.commandLine(), "name a command: train, evaluate"
          + " or import");
    }
  }
}
