package dev.streamline.models.cli;

import picocli.CommandLine;

/**
 * The command line every Streamline tool runs in: DJL offline and quiet, and errors as one line
 * (exit 2 for bad arguments, 1 for failures), never a stack trace or the whole usage.
 */
public final class OfflineCommandLine {

  private OfflineCommandLine() {}

  public static CommandLine of(Object command) {
    // DJL must never reach the network: no model zoo, no usage tracking.
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    // The engine's start-up chatter (thread counts, the GPU probe on CPU machines) is not news.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error");
    CommandLine cli = new CommandLine(command);
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
    return cli;
  }
}
