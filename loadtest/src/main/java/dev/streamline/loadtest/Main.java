package dev.streamline.loadtest;

import dev.streamline.models.cli.OfflineCommandLine;
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
    // Charts are drawn off-screen, also where a display happens to be set.
    System.setProperty("java.awt.headless", "true");
    // Offline also for DJL's Fashion-MNIST classifier.
    return OfflineCommandLine.of(new LoadtestCommand());
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
