package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Import;
import tools.jackson.databind.JsonNode;

/**
 * Requests for the same deterministic sampling that arrive together share one sampling run, and
 * each still gets bitwise the samples and NFE it gets alone; the others run on their own. A
 * request that hangs up leaves its run.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "streamline.bundled-models=false", "streamline.model-dirs=" + ServiceTest.MODELS,
    // Long enough that requests sent together on a busy machine land in one run.
    "streamline.batching.merge-window=300ms"})
@Import(ServiceTest.Fixtures.class)
class MergingTest extends HttpTest {

  private static final String FLOW = "/v1/models/analytic-gmm-flow/samples";
  private static final String VP = "/v1/models/analytic-gmm-vp/samples";
  private static final String UNET = "/v1/models/tiny-unet/samples";

  /** Path and body; mergeable ones repeat a sampling with other seeds, sizes or latents. */
  private static final String[][] REQUESTS = {
      {FLOW, "{\"n\":1,\"sampler\":\"heun\",\"steps\":8,\"seed\":1}"},
      {FLOW, "{\"n\":3,\"sampler\":\"heun\",\"steps\":8,\"seed\":20}"},
      {FLOW, "{\"n\":2,\"sampler\":\"heun\",\"steps\":8,\"seed\":2,"
          + "\"latents\":[[0.5,-1],[2,0.25]]}"},
      {FLOW, "{\"n\":5,\"sampler\":\"heun\",\"steps\":8,\"seed\":7}"},
      {FLOW, "{\"n\":2,\"sampler\":\"heun\",\"steps\":9,\"seed\":7}"},
      {VP, "{\"n\":4,\"sampler\":\"dpmpp-2m\",\"steps\":6,\"seed\":3,"
          + "\"options\":{\"threshold\":0.9}}"},
      {VP, "{\"n\":6,\"sampler\":\"dpmpp-2m\",\"steps\":6,\"seed\":30,"
          + "\"options\":{\"threshold\":0.9}}"},
      {VP, "{\"n\":3,\"sampler\":\"ddim\",\"steps\":5,\"seed\":4}"},
      {VP, "{\"n\":2,\"sampler\":\"ddim\",\"steps\":5,\"seed\":40}"},
      {VP, "{\"n\":2,\"sampler\":\"euler-maruyama\",\"steps\":5,\"seed\":5}"},
      {VP, "{\"n\":2,\"sampler\":\"euler-maruyama\",\"steps\":5,\"seed\":50}"},
      {FLOW, "{\"n\":2,\"sampler\":\"heun\",\"steps\":8,\"seed\":9,\"returnTrajectory\":true}"},
      {UNET, "{\"n\":1,\"steps\":3,\"seed\":11,\"labels\":[0],\"guidance\":3}"},
      {UNET, "{\"n\":2,\"steps\":3,\"seed\":12,\"labels\":[1,2],\"guidance\":3}"},
      {UNET, "{\"n\":3,\"steps\":3,\"seed\":13,\"labels\":[2],\"guidance\":3}"},
      {UNET, "{\"n\":1,\"steps\":3,\"seed\":14,\"labels\":[0],\"guidance\":2}"},
      {UNET, "{\"n\":2,\"steps\":3,\"seed\":15}"},
  };

  private double failures(String reason) {
    return http.metric("streamline_failures_total{application=\"streamline\",reason=\""
        + reason + "\"}");
  }

  @Test
  @ExtendWith(OutputCaptureExtension.class)
  void aRequestThatHangsUpWhileItsRunFormsOrRunsIsCancelled(CapturedOutput log) throws Exception {
    String depth =
        "streamline_queue_depth{application=\"streamline\",model=\"analytic-gmm-vp\"}";
    double cancelled = failures("cancelled");
    // Over max-batch-size rows, so not mergeable: it keeps the model busy for seconds, and the
    // next request waits for company in the merge window.
    try (Socket busy = http.postAndHold(VP, "{\"n\":1024,\"sampler\":\"rk4\",\"steps\":1000}")) {
      Http.await(() -> http.metric(depth) >= 1, Duration.ofSeconds(5));
      assertThat(http.metric(depth)).isEqualTo(1.0);
      try (Socket merged = http.postAndHold(VP, "{\"n\":1,\"sampler\":\"ddim\",\"steps\":5}")) {
        Thread.sleep(100);
      }
    }
    Http.await(() -> failures("cancelled") >= cancelled + 2 && http.metric(depth) == 0,
        Duration.ofSeconds(10));
    assertThat(failures("cancelled")).isEqualTo(cancelled + 2);
    assertThat(http.metric(depth)).isZero();
    assertThat(log.getAll()).doesNotContain("ERROR", "Exception");
  }

  /** Latents past what the flow's float32 arithmetic holds: its sampling cannot finish. */
  @Test
  void aRequestWhoseValuesFailItsRunFailsAloneAndTheOthersAreServed() throws Exception {
    String good = "{\"n\":2,\"sampler\":\"heun\",\"steps\":8,\"seed\":21}";
    String bad = "{\"n\":1,\"sampler\":\"heun\",\"steps\":8,\"latents\":[[3e38,-3e38]]}";
    JsonNode alone = Http.json(http.post(FLOW, good, null));
    assertThat(http.post(FLOW, bad, null).statusCode()).isEqualTo(422);
    double failed = failures("invalid");
    double runs = runs("analytic-gmm-flow", "count");
    double requests = runs("analytic-gmm-flow", "sum");
    // A long request that is not mergeable keeps the model busy, so neither of the next two
    // finds it idle and starts at once: they wait in the merge window and share a run.
    try (Socket busy = http.postAndHold(FLOW, "{\"n\":1024,\"sampler\":\"rk4\",\"steps\":1000}")) {
      String depth =
          "streamline_queue_depth{application=\"streamline\",model=\"analytic-gmm-flow\"}";
      Http.await(() -> http.metric(depth) >= 1, Duration.ofSeconds(5));
      CompletableFuture<HttpResponse<byte[]>> served =
          CompletableFuture.supplyAsync(() -> http.post(FLOW, good, null));
      HttpResponse<byte[]> refused = http.post(FLOW, bad, null);
      assertThat(refused.statusCode()).isEqualTo(422);
      assertThat(Http.json(refused).get("detail").asString())
          .startsWith("heun produced non-finite values at step 1");
      JsonNode result = Http.json(served.get());
      assertThat(result.get("samples")).isEqualTo(alone.get("samples"));
      assertThat(result.get("nfe")).isEqualTo(alone.get("nfe"));
    }
    // The busy run, the shared one that failed, and one run for each of its two requests.
    assertThat(runs("analytic-gmm-flow", "count") - runs).isEqualTo(4.0);
    assertThat(runs("analytic-gmm-flow", "sum") - requests).isEqualTo(5.0);
    assertThat(failures("invalid")).isEqualTo(failed + 1);
  }

  private double runs(String model, String stat) {
    return http.metric("streamline_run_requests_" + stat + "{application=\"streamline\",model=\""
        + model + "\"}");
  }

  @Test
  void requestsSentTogetherShareARunAndMatchTheirSoloResults() throws Exception {
    List<JsonNode> alone = new ArrayList<>();
    for (String[] request : REQUESTS) {
      alone.add(Http.json(http.post(request[0], request[1], null)));
    }
    // Alone, every request had a run of its own.
    assertThat(runs("analytic-gmm-flow", "max")).isEqualTo(1.0);
    assertThat(runs("analytic-gmm-vp", "max")).isEqualTo(1.0);
    double flowRuns = runs("analytic-gmm-flow", "count");
    double vpRuns = runs("analytic-gmm-vp", "count");
    double unetRuns = runs("tiny-unet", "count");

    ExecutorService clients = Executors.newFixedThreadPool(REQUESTS.length);
    List<CompletableFuture<JsonNode>> together = new ArrayList<>();
    for (String[] request : REQUESTS) {
      together.add(CompletableFuture.supplyAsync(
          () -> Http.json(http.post(request[0], request[1], null)), clients));
    }
    for (int i = 0; i < REQUESTS.length; i++) {
      JsonNode result = together.get(i).get();
      String request = REQUESTS[i][1];
      assertThat(result.get("seed")).as(request).isEqualTo(alone.get(i).get("seed"));
      assertThat(result.get("nfe")).as(request).isEqualTo(alone.get(i).get("nfe"));
      assertThat(result.get("samples")).as(request).isEqualTo(alone.get(i).get("samples"));
      assertThat(result.get("trajectory")).as(request).isEqualTo(alone.get(i).get("trajectory"));
    }
    clients.shutdown();
    // flow: the four heun/8 requests in one run, or two when the first found the model idle and
    // its run started at once; heun/9 and the trajectory on their own.
    assertThat(runs("analytic-gmm-flow", "count") - flowRuns).isBetween(3.0, 4.0);
    assertThat(runs("analytic-gmm-flow", "max")).isBetween(2.0, 4.0);
    // vp: dpmpp-2m/6 × 2 and ddim/5 × 2 in one run each (but for the first); euler-maruyama
    // draws noise, alone.
    assertThat(runs("analytic-gmm-vp", "count") - vpRuns).isBetween(4.0, 5.0);
    assertThat(runs("analytic-gmm-vp", "max")).isEqualTo(2.0);
    // tiny-unet: the three requests guided at w = 3 in one run, whatever their labels (or two
    // runs, as above); other guidance, or none, on their own.
    assertThat(runs("tiny-unet", "count") - unetRuns).isBetween(3.0, 4.0);
    assertThat(runs("tiny-unet", "max")).isBetween(2.0, 3.0);
  }
}
