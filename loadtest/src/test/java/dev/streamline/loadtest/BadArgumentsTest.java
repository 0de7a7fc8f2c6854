package dev.streamline.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

  @Test
  void guidanceNeedsAClassConditionalModel() {
    Cli cli = sweep(InProcessService.url(), "--model", "moons-flow", "--samplers", "euler",
        "--guidance", "2");
    assertThat(cli.exitCode()).isEqualTo(2);
    assertThat(cli.err())
        .startsWith("error: --guidance applies to class-conditional models; moons-flow has no");
  }

  /** Checked before the server is asked anything: the URL below is never reached. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--tolerances          | 1e-3,1    | --tolerances must lie in (0, 1), got 1.0",
      "--concurrency         | 0         | --concurrency must be at least 1, got 0",
      "-n                    | 0         | -n must be at least 1, got 0",
      "--requests            | 0         | --requests must be at least 1, got 0",
      "--duration            | 0s        | --duration must be positive, got PT0S",
      "--duration            | soon      | Invalid value for option '--duration'",
      "--rate                | 0         | --rate must be a positive number of requests per"
          + " second, got 0.0",
      "--warmup              | PT-1S     | --warmup must not be negative, got PT-1S",
      "--quality-samples     | 1         | --quality-samples must be 0 (off) or at least 2, got 1",
      "--reference-tolerance | 1         | --reference-tolerance must lie in (0, 1), got 1.0",
      "--timeout             | 0s        | --timeout must be positive, got PT0S",
      "--samplers            | ' '       | --samplers needs at least one sampler id",
      "--url                 | ftp://x   | --url must be an http(s) URL such as"
          + " http://localhost:8080, got 'ftp://x'",
      "--url                 | http://a b | --url 'http://a b' is not a URL: Illegal character",
  })
  void badOptionValuesAreNamed(String option, String value, String message) {
    Cli cli = Cli.run("sweep", "--model", "m", "--samplers", "euler", "--no-progress", "--out",
        out.toString(), option, value);
    assertThat(cli.exitCode()).as(cli.err()).isEqualTo(2);
    assertThat(cli.err()).startsWith("error: " + message).doesNotContain("Exception");
  }

  @Test
  void outMustBeADirectory() throws IOException {
    Path file = Files.createFile(out.resolve("file"));
    Cli cli = Cli.run("sweep", "--model", "m", "--samplers", "euler", "--out", file.toString());
    assertThat(cli.exitCode()).isEqualTo(2);
    assertThat(cli.err()).startsWith("error: --out " + file + " exists and is not a directory");
  }

  @Test
  void aCommandMustBeNamed() {
    Cli cli = Cli.run();
    assertThat(cli.exitCode()).isEqualTo(2);
    assertThat(cli.err()).startsWith("error: name a command: sweep");
  }

  private Cli sweep(String url, String... args) {
    String[] all = new String[args.length + 10];
    System.arraycopy(new String[] {"sweep", "--url", url, "--requests", "2", "--warmup", "0s",
        "--no-progress", "--out", out.toString()}, 0, all, 0, 10);
    System.arraycopy(args, 0, all, 10, args.length);
    return Cli.run(all);
  }
}
