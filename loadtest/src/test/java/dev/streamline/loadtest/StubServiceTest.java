package dev.streamline.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.streamline.sampler.analytic.GaussianMixture;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/** What the real service does not do on demand: rejections, Retry-After, unreadable answers. */
class StubServiceTest {

  private static final String MODEL = "analytic-gmm-flow";

  /** Request k asks for samples 2k and 2k + 1 of rk4 at 4 steps, and keeps them. */
  private static final LoadDriver.RequestSource SOURCE = new LoadDriver.RequestSource() {
    @Override
    public ObjectNode body(long k) {
      return new Requests(0, 0, null).body(Cell.fixed("rk4", 4), 2 * k, 2);
    }

    @Override
    public boolean keep(long k) {
      return true;
    }
  };

  @Test
  void failedRequestsAreCountedByStatusAndTheirSamplesFetchedAgain(@TempDir Path out)
      throws Exception {
    try (StubService stub = new StubService()) {
      Cli cli = Cli.run("sweep", "--url", stub.url(), "--model", MODEL,
          "--samplers", "rk4,ddpm", "--steps", "4", "--requests", "10", "-n", "10",
          "--concurrency", "1", "--warmup", "0s", "--quality-samples", "100", "--no-progress",
          "--out", out.toString());
      assertThat(cli.exitCode()).as(cli.err()).isZero();
      JsonNode cells = new ObjectMapper().readTree(out.resolve("results.json").toFile())
          .path("cells");
      for (JsonNode cell : cells) {
        // One worker and every other request rejected: 5 succeed, 5 fail.
        assertThat(cell.path("requests").asLong()).isEqualTo(5);
        assertThat(cell.path("errorsByStatus").path("503").asLong()).isEqualTo(5);
        // The failed requests' samples were fetched after the measured phase.
        assertThat(cell.path("qualitySamples").asInt()).isEqualTo(100);
        // No /actuator/prometheus: no batching figures, rather than made-up ones.
        assertThat(cell.path("forwardBatchSize").isNull()).isTrue();
      }
      // The stub's rk4 error is 1/16 per coordinate; ddpm is stochastic, so it has none.
      assertThat(cells.get(0).path("quality").path("exactError").asDouble())
          .isBetween(0.5 / 16, 2.0 / 16);
      assertThat(cells.get(1).path("quality").path("exactError").isNull()).isTrue();
      assertThat(cli.out()).contains("errors {503=5}");
    }
  }

  @Test
  void retryRoundsWaitAsLongAsTheServersRetryAfterAsks() throws Exception {
    try (StubService stub = new StubService(429, "3")) {
      List<Long> pauses = new ArrayList<>();
      // One at a time, every other request rejected: 0-3 leave 1 and 3, then 3, then none.
      Map<Long, ReceivedSamples> kept = driver(stub, pauses)
          .runUntilAnswered(SOURCE, indices(4), 1, 5);
      assertThat(kept).containsOnlyKeys(0L, 1L, 2L, 3L);
      assertThat(pauses).containsExactly(3000L, 3000L);
    }
  }

  @Test
  void withoutRetryAfterTheRoundsBackOffAndStopAfterTheLast() throws Exception {
    try (StubService stub = new StubService()) {
      List<Long> pauses = new ArrayList<>();
      // 8 requests leave 4 missing, then 2, then 1 after the third and last round.
      Map<Long, ReceivedSamples> kept = driver(stub, pauses)
          .runUntilAnswered(SOURCE, indices(8), 1, 3);
      assertThat(kept).containsOnlyKeys(0L, 1L, 2L, 3L, 4L, 5L, 6L);
      assertThat(pauses).containsExactly(100L, 200L);
    }
  }

  @Test
  void aRetryAfterLongerThanTheCapWaitsOnlyForTheCap() throws Exception {
    try (StubService stub = new StubService(429, "3600")) {
      List<Long> pauses = new ArrayList<>();
      driver(stub, pauses).runUntilAnswered(SOURCE, indices(2), 1, 2);
      assertThat(pauses).containsExactly(30_000L);
    }
  }

  @Test
  void theExactSolutionsReferenceWaitsAsTheServersRetryAfterAsks() throws Exception {
    try (StubService stub = new StubService(429, "2")) {
      List<Long> pauses = new ArrayList<>();
      AnalyticQuality quality = new AnalyticQuality(GaussianMixture.standard2d(), 1, client(stub),
          MODEL, new Requests(1, 0, null), 1e-6, pauses::add);
      // 300 samples take two reference requests; the stub refuses the second's first try.
      Map<String, Double> metrics =
          quality.measure(IntStream.range(0, 300).toArray(), new float[300][2], true);
      assertThat(pauses).containsExactly(2000L);
      assertThat(metrics.get("exactError")).isPositive().isFinite();
    }
  }

  @Test
  void heldOutLikelihoodAveragesEveryChunkAndWaitsAsTheServerAsks() throws Exception {
    try (StubService stub = new StubService(503, "1")) {
      List<Long> pauses = new ArrayList<>();
      GaussianMixture mixture = GaussianMixture.standard2d();
      HeldOutLikelihood.HeldOut data = HeldOutLikelihood.HeldOut.ofMixture(mixture, 150, 7);
      HeldOutLikelihood likelihood = new HeldOutLikelihood(client(stub), MODEL, List.of(2), data,
          null, null, 7, pauses::add);
      // 150 points are three requests of at most 64; the stub refuses every other try.
      Map<String, Double> metrics = likelihood.measure(Cell.fixed("rk4", 4));
      assertThat(pauses).containsExactly(1000L, 1000L);

      double[] exactNll = new double[150];
      for (int i = 0; i < 150; i++) {
        float[] row = data.rows()[i];
        exactNll[i] = -mixture.logDensity(new double[] {row[0], row[1]}, 1, 0);
      }
      double floor = Arrays.stream(exactNll).average().orElseThrow();
      double spread = Math.sqrt(Arrays.stream(exactNll)
          .map(v -> (v - floor) * (v - floor)).sum() / 149);
      assertThat(metrics.get("nllFloor")).isCloseTo(floor, within(1e-6));
      // The stub's error is 1/steps² on every point: the mean moves by it, the spread does not.
      assertThat(metrics.get("nll")).isCloseTo(floor + 1.0 / 16, within(1e-6));
      assertThat(metrics.get("nllStdErr")).isCloseTo(spread / Math.sqrt(150), within(1e-6));
      assertThat(metrics.get("bitsPerDim"))
          .isCloseTo((floor + 1.0 / 16) / (2 * Math.log(2)), within(1e-6));
      assertThat(metrics.get("likelihoodNfe")).isEqualTo(16);
    }
  }

  @Test
  void anAnswerThatCannotBeReadIsAServiceExceptionThatSaysWhy() throws Exception {
    try (StubService stub = new StubService()) {
      ServiceClient client = client(stub);
      assertThatThrownBy(() -> client.sampleNow(StubService.BROKEN_MODEL, SOURCE.body(0), true))
          .isInstanceOf(ServiceException.class)
          .hasMessage("unreadable answer from " + stub.url() + "/v1/models/"
              + StubService.BROKEN_MODEL + "/samples: integer overflow");
    }
  }

  private static LoadDriver driver(StubService stub, List<Long> pauses) {
    return new LoadDriver(client(stub), MODEL, pauses::add);
  }

  private static ServiceClient client(StubService stub) {
    return new ServiceClient(URI.create(stub.url()), Duration.ofSeconds(10));
  }

  private static List<Long> indices(int count) {
    return LongStream.range(0, count).boxed().toList();
  }
}
