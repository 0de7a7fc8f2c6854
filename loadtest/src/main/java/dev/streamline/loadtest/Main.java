package dev.streamline.loadtest;

import picocli.CommandLine;

/** Entry point of {@code loadtest.jar}: {@code sweep}. */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * Runs the command line and returns its exit code: 0 on success, 2 for bad arguments (including
   * a model or sampler the server does not know), 1 when the server cannot be reached or fails.
   * Errors are one line, never a stack trace.
   */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The configured command line, for callers (tests) that want its output streams. */
  public static CommandLine commandLine() {
    // DJL (the Fashion-MNIST classifier) must never reach the network: no model zoo, no tracking.
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error");
    // Charts are drawn off-screen, also where a display happens to be set.
    System.setProperty("java.awt.headless", "true");
    CommandLine cli = new CommandLine(new LoadtestCommand());
    cli.setParameterExceptionHandler((e, args) -> {
      CommandLine line = e.getCommandLine();
      line.getErr().println("error: " + e.getMessage());
      line.getErr().println("Try '" + line.getCommandSpec().qualifiedName() + " --help'.");
      return 2;
    });
    cli.setExecutionExceptionHandler((e, line, parsed) -> {
      line.getErr().println("error: " + e.getMessage());
      return 1;
    });
    return cli;
  }

  @CommandLine.Command(name = "loadtest", mixinStandardHelpOptions = true,
      description = "Measure quality, latency and throughput of Streamline's samplers under load.",
      subcommands = SweepCommand.class)
  static final class LoadtestCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      throw new CommandLine.ParameterException(spec.commandLine(), "name a command: sweep");
    }
  }
}
