package dev.streamline.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad argument or failing server ends in a one-line message and a non-zero exit. */
class BadArgumentsTest {

  @TempDir
  Path out;

  @Test
  void unknownSamplerIsNamedWithTheKnownOnes() {
    Cli cli = sweep(InProcessService.url(), "--model", "analytic-gmm-flow", "--samplers",
        "euler,nope");
    assertThat(cli.exitCode()).isEqualTo(2);
    assertThat(cli.err()).startsWith("error: unknown sampler 'nope'; known: ")
        .contains("euler", "dopri5", "dpmpp-2m").doesNotContain("Exception");
  }

  @Test
  void unknownModelIsNamedWithTheServedOnes() {
    Cli cli = sweep(InProcessService.url(), "--model", "no-such-model", "--samplers", "euler");
    assertThat(cli.exitCode()).isEqualTo(2);
    assertThat(cli.err()).startsWith("error: unknown model 'no-such-model'; ")
        .contains("analytic-gmm-flow", "moons-flow");
  }

  @Test
  void stepsMustBePositive() {
    Cli cli = sweep(InProcessService.url(), "--model", "analytic-gmm-flow", "--samplers", "euler",
        "--steps", "4,0");
    assertThat(cli.exitCode()).isEqualTo(2);
    assertThat(cli.err()).startsWith("error: --steps must be positive, got 0");
  }

  @Test
  void unreachableServerIsSaidSo() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Cli cli = sweep("http://127.0.0.1:" + port, "--model", "analytic-gmm-flow", "--samplers",
        "euler");
    assertThat(cli.exitCode()).isEqualTo(1);
    assertThat(cli.err().strip()).isEqualTo("error: cannot reach the service at http://127.0.0.1:"
        + port + "/: connection refused");
  }

  @Test
  void aServerThatRejectsEveryRequestStopsTheSweepWithItsProblemDetail() {
    Cli cli = sweep(InProcessService.url(), "--model", "analytic-gmm-flow", "--samplers", "euler",
        "--steps", "5000");
    assertThat(cli.exitCode()).isEqualTo(1);
    assertThat(cli.err()).startsWith("error: cell euler/5000: all 2 requests failed; HTTP 4")
        .contains("steps=5000 is over the limit of 1000 steps per request");
  }

  @Test
  void durationAndRequestsExcludeEachOther() {
    Cli cli = sweep(InProcessService.url(), "--model", "analytic-gmm-flow", "--samplers", "euler",
        "--duration", "1s");
    assertThat(cli.exitCode()).isEqualTo(2);
    assertThat(cli.err()).startsWith("error: give --duration or --requests, not both");
  }

  private Cli sweep(String url, String... args) {
    String[] all = new String[args.length + 10];
    System.arraycopy(new String[] {"sweep", "--url", url, "--requests", "2", "--warmup", "0s",
        "--no-progress", "--out", out.toString()}, 0, all, 0, 10);
    System.arraycopy(args, 0, all, 10, args.length);
    return Cli.run(all);
  }
}
