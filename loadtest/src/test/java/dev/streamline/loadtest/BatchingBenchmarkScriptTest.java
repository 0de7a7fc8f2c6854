package dev.streamline.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code batching-benchmark.sh}, copied into a checkout of its own whose jars are empty files and
 * whose {@code java} is a fake: the service only sleeps and is never ready, so the script runs in
 * seconds and starts nothing real.
 */
class BatchingBenchmarkScriptTest {

  /** The service leaves its pid and sleeps (same pid: exec); a sweep leaves a mark. */
  private static final String FAKE_JAVA = """
      #!/usr/bin/env bash
      case "$*" in
        *streamline.jar*) echo $$ > "$FAKE_DIR/service.pid"; exec sleep 60 ;;
        *) touch "$FAKE_DIR/sweep-ran" ;;
      esac
      """;

  @TempDir
  Path root;

  private Path script;

  @BeforeEach
  void checkout() throws IOException {
    script = root.resolve("loadtest/batching-benchmark.sh");
    Files.createDirectories(script.getParent());
    Files.copy(Path.of("batching-benchmark.sh"), script, StandardCopyOption.COPY_ATTRIBUTES);
    for (String jar : List.of("service/target/streamline.jar", "loadtest/target/loadtest.jar")) {
      Files.createDirectories(root.resolve(jar).getParent());
      Files.createFile(root.resolve(jar));
    }
    Path java = Files.createDirectories(root.resolve("bin")).resolve("java");
    Files.writeString(java, FAKE_JAVA);
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @Test
  @Timeout(60)
  void aServiceThatIsNeverReadyStopsTheScriptBeforeAnySweep() throws Exception {
    Path out = root.resolve("out");
    Process process = run(Map.of("READY_TIMEOUT", "2", "OUT", out.toString(),
        "PORT", Integer.toString(freePort())));

    assertThat(process.exitValue()).isEqualTo(1);
    assertThat(Files.readString(root.resolve("stderr"))).isEqualTo("the service for setting 'on'"
        + " was not ready after 2 s; see " + out + "/on/service.log\n");
    assertThat(root.resolve("sweep-ran")).doesNotExist();
    long service = Long.parseLong(Files.readString(root.resolve("service.pid")).strip());
    assertThat(ProcessHandle.of(service).filter(ProcessHandle::isAlive)).as("the service")
        .isEmpty();
  }

  @Test
  @Timeout(60)
  void aReadyTimeoutThatIsNotANumberIsNamed() throws Exception {
    Process process = run(Map.of("READY_TIMEOUT", "soon", "OUT", root.resolve("out").toString()));

    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(Files.readString(root.resolve("stderr")))
        .isEqualTo("READY_TIMEOUT must be a whole number of seconds, got 'soon'\n");
    assertThat(root.resolve("service.pid")).doesNotExist();
  }

  /** Runs the script for one setting, "on", with the fake java first on the PATH, to its end. */
  private Process run(Map<String, String> environment) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("bash", script.toString(), "m", "euler", "4", "8",
        "on:")
        .redirectOutput(root.resolve("stdout").toFile())
        .redirectError(root.resolve("stderr").toFile());
    builder.environment().putAll(environment);
    builder.environment().put("PATH", root.resolve("bin") + ":" + System.getenv("PATH"));
    builder.environment().put("FAKE_DIR", root.toString());
    Process process = builder.start();
    if (!process.waitFor(50, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    assertThat(process.isAlive()).as("the script still runs after 50 s").isFalse();
    return process;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
