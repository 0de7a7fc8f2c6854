package dev.streamline.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.streamline.models.data.FashionMnist;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
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

  @Test
  void dataDirNeedsAFashionMnistModel() {
    // It was ignored, without a word that it was.
    Cli cli = sweep(InProcessService.url(), "--model", "moons-flow", "--samplers", "euler",
        "--data-dir", out.toString());
    assertThat(cli.exitCode()).isEqualTo(2);
    assertThat(cli.err()).isEqualTo("error: --data-dir applies to fashion-mnist models only;"
        + " moons-flow is not one\nTry 'loadtest sweep --help'.\n");
  }

  @Test
  void heldOutImagesMustBeThereAndEnough() {
    // Likelihood alone needs the test images too.
    Cli missing = sweep(InProcessService.url(), "--model", InProcessService.IMAGE_MODEL,
        "--samplers", "euler", "--quality-samples", "0", "--likelihood-samples", "2",
        "--data-dir", out.resolve("nowhere").toString());
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).startsWith("error: --data-dir: ").doesNotContain("Exception");
    // The models module's 200-image subset of the test split.
    Path subset = Path.of("..", "models", "src", "test", "resources", "fashion-mnist-subset");
    Cli few = sweep(InProcessService.url(), "--model", InProcessService.IMAGE_MODEL,
        "--samplers", "euler", "--quality-samples", "0", "--likelihood-samples", "201",
        "--data-dir", subset.toString());
    assertThat(few.exitCode()).isEqualTo(2);
    assertThat(few.err()).startsWith("error: --likelihood-samples is 201; the test split in "
        + subset + " holds 200 images");
  }

  /** Checked before the server is asked anything: the URL below is never reached. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--tolerances          | 1e-3,1    | --tolerances must lie in (0, 1), got 1.0",
      "--concurrency         | 0         | --concurrency must be at least 1 and at most 10000,"
          + " got 0",
      // Ran out of threads after a minute and a half, with a stack trace.
      "--concurrency         | 100000000 | --concurrency must be at least 1 and at most 10000,"
          + " got 100000000",
      "-n                    | 0         | -n must be at least 1, got 0",
      "--requests            | 0         | --requests must be at least 1, got 0",
      "--duration            | 0s        | --duration must be positive, got PT0S",
      "--duration            | soon      | Invalid value for option '--duration'",
      "--rate                | 0         | --rate must be a positive number of requests per"
          + " second, at most 10000, got 0.0",
      // Scheduled requests without end and filled the heap.
      "--rate                | 1e12      | --rate must be a positive number of requests per"
          + " second, at most 10000, got 1.0E12",
      // Overflowed the cell's deadline: the cell measured nothing, and said so with exit 0.
      "--duration            | 10000000h | --duration must be at most a day, got PT2562047H",
      "--warmup              | 25h       | --warmup must be at most a day, got PT25H",
      "--warmup              | PT-1S     | --warmup must not be negative, got PT-1S",
      "--quality-samples     | 1         | --quality-samples must be 0 (off) or from 2 to 100000"
          + " (the metrics compare every pair of samples), got 1",
      // Overflowed the count of requests to keep: no cell was scored, and exit 0.
      "--quality-samples     | 2147483647 | --quality-samples must be 0 (off) or from 2 to"
          + " 100000 (the metrics compare every pair of samples), got 2147483647",
      "--likelihood-samples  | -1        | --likelihood-samples must be 0 (off) or from 1 to"
          + " 10000, got -1",
      "--likelihood-samples  | 10001     | --likelihood-samples must be 0 (off) or from 1 to"
          + " 10000, got 10001",
      "--divergence          | trace     | --divergence must be 'exact' or 'hutchinson', got"
          + " 'trace'",
      "--probes              | 2         | --probes applies to --divergence hutchinson",
      "--reference-tolerance | 1         | --reference-tolerance must lie in (0, 1), got 1.0",
      "--timeout             | 0s        | --timeout must be positive, got PT0S",
      // Accepted up to the converter's limit of 292 years.
      "--timeout             | 10000000h | --timeout must be at most a day, got PT2562047H",
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
  void probesOutOfRangeAreNamedWithTheServicesLimit() {
    Cli cli = Cli.run("sweep", "--model", "m", "--samplers", "euler", "--no-progress", "--out",
        out.toString(), "--divergence", "hutchinson", "--probes", "65");
    assertThat(cli.exitCode()).isEqualTo(2);
    assertThat(cli.err()).startsWith("error: --probes must be in [1, 64], got 65");
  }

  @Test
  void aLikelihoodTheServerRefusesStopsTheSweepWithItsProblemDetail() {
    assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIRECTORY),
        "needs Fashion-MNIST in " + FashionMnist.DEFAULT_DIRECTORY);
    // Sampling works; the exact divergence of 784 dimensions is over the server's limit.
    Cli cli = sweep(InProcessService.url(), "--model", InProcessService.IMAGE_MODEL,
        "--samplers", "euler", "--steps", "1", "-n", "2", "--quality-samples", "0",
        "--likelihood-samples", "2", "--divergence", "exact");
    assertThat(cli.exitCode()).isEqualTo(1);
    assertThat(cli.err()).startsWith("error: cell euler/1: the likelihood of the held-out data"
            + " failed (--likelihood-samples 0 leaves it out): HTTP 4")
        .contains("hutchinson").doesNotContain("Exception");
    assertThat(out.resolve("results.csv")).doesNotExist();
  }

  @Test
  void outMustBeADirectory() throws IOException {
    Path file = Files.createFile(out.resolve("file"));
    Cli cli = Cli.run("sweep", "--model", "m", "--samplers", "euler", "--out", file.toString());
    assertThat(cli.exitCode()).isEqualTo(2);
    assertThat(cli.err()).startsWith("error: --out " + file + " exists and is not a directory");
  }

  @Test
  void outMustBeCreatable() throws IOException {
    Path file = Files.createFile(out.resolve("file"));
    Cli cli = Cli.run("sweep", "--model", "m", "--samplers", "euler", "--out",
        file.resolve("report").toString());
    assertThat(cli.exitCode()).isEqualTo(2);
    assertThat(cli.err()).startsWith("error: --out " + file.resolve("report")
        + " cannot be created: " + file + " is a file\n");
  }

  @Test
  void outMustNotHoldADirectoryWhereAnOutputGoes() throws IOException {
    Files.createDirectories(out.resolve("report.md").resolve("notes"));
    Cli cli = Cli.run("sweep", "--model", "m", "--samplers", "euler", "--out", out.toString());
    assertThat(cli.exitCode()).isEqualTo(2);
    assertThat(cli.err()).startsWith("error: --out " + out + " holds a directory report.md,"
        + " where a file of that name goes\n");
  }

  @Test
  void anAnswerThatIsNotJsonIsOneLine() throws IOException {
    try (Canned server = new Canned(Map.of())) {
      Cli cli = Cli.run("sweep", "--url", server.url(), "--model", "m", "--samplers", "euler",
          "--out", out.resolve("report").toString());
      assertThat(cli.exitCode()).isEqualTo(1);
      // Jackson's second line, "at [Source: REDACTED ...", says nothing to a user.
      assertThat(cli.err()).isEqualTo("error: " + server.url() + "/v1/models did not answer JSON:"
          + " Unexpected character ('<' (code 60)): expected a valid value (JSON String, Number,"
          + " Array, Object or token 'null', 'true' or 'false')\n");
      assertThat(out.resolve("report")).doesNotExist();
    }
  }

  @Test
  void anAnalyticTargetThatCannotBeReadIsNamed() throws IOException {
    try (Canned server = Canned.model("/v1/models/m",
        "{\"id\":\"m\",\"classes\":[],\"target\":{\"weights\":\"x\"}}")) {
      Cli cli = Cli.run("sweep", "--url", server.url(), "--model", "m", "--samplers", "euler",
          "--out", out.resolve("report").toString());
      assertThat(cli.exitCode()).isEqualTo(1);
      assertThat(cli.err()).startsWith("error: " + server.url() + "/v1/models/m answers a target"
          + " that is not a Gaussian mixture: Cannot deserialize value of type `double[]` from"
          + " String \"x\"").hasLineCount(1);
      assertThat(out.resolve("report")).doesNotExist();
    }
  }

  @Test
  void samplesTheMetricsCannotUseStopTheSweepAndWriteNothing() throws IOException {
    try (Canned server = Canned.model("/v1/models/m/samples",
        "{\"nfe\":1,\"shape\":[3],\"samples\":[[0,0,0],[1,2,3],[3,1,2]]}")) {
      Cli cli = Cli.run("sweep", "--url", server.url(), "--model", "m", "--samplers", "euler",
          "--steps", "2", "--requests", "2", "-n", "3", "--quality-samples", "3", "--warmup", "0s",
          "--no-progress", "--out", out.resolve("report").toString());
      assertThat(cli.exitCode()).isEqualTo(1);
      assertThat(cli.err()).isEqualTo("error: cell euler/2: the samples the server answered"
          + " cannot be scored: samples differ in dimension: first has 3, second has 2\n");
      // Not even the directory, which the sweep used to create before its first cell.
      assertThat(out).isEmptyDirectory();
    }
  }

  /** A server of fixed JSON answers by path; anything else is answered with an HTML page. */
  private static final class Canned implements AutoCloseable {
    private static final Map<String, String> MODEL = Map.of(
        "/v1/models", "{\"models\":[{\"id\":\"m\"}]}",
        "/v1/samplers", "{\"samplers\":[{\"id\":\"euler\",\"stochastic\":false,"
            + "\"adaptive\":false}]}",
        "/v1/models/m", "{\"id\":\"m\",\"dataset\":\"moons\",\"classes\":[],"
            + "\"shape\":[2]}");

    private final HttpServer server;

    /** A 2D model "m" trained on moons and the sampler euler, but for the path given. */
    static Canned model(String path, String json) throws IOException {
      Map<String, String> answers = new HashMap<>(MODEL);
      answers.put(path, json);
      return new Canned(answers);
    }

    Canned(Map<String, String> answers) throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/", exchange -> {
        try (exchange) {
          exchange.getRequestBody().readAllBytes();
          String json = answers.get(exchange.getRequestURI().getPath());
          byte[] body = (json != null ? json : "<html>not a Streamline service</html>")
              .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type",
              json != null ? "application/json" : "text/html");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
        }
      });
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
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
