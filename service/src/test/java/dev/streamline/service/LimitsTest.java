package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * A one-slot queue and a one-second time limit: 429 with Retry-After, 504, a client that hangs up
 * cancels its sampling, and each time the slot frees.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "streamline.bundled-models=false",
    "streamline.limits.queue-capacity=1",
    "streamline.limits.request-timeout=1s",
    // SLOW must run into the time limit, not be refused up front for its cost.
    "streamline.limits.max-cost-seconds=86400"})
class LimitsTest extends HttpTest {

  private static final String DEPTH =
      "streamline_queue_depth{application=\"streamline\",model=\"analytic-gmm-vp\"}";
  /** About 4000 evaluations of a 1024-row mixture score: several seconds on any machine. */
  private static final String SLOW = "{\"n\":1024,\"sampler\":\"rk4\",\"steps\":1000}";

  private void awaitDepth(double depth) {
    Http.await(() -> http.metric(DEPTH) == depth, Duration.ofSeconds(5));
    assertThat(http.metric(DEPTH)).isEqualTo(depth);
  }

  private double failures(String reason) {
    return http.metric("streamline_failures_total{application=\"streamline\",reason=\""
        + reason + "\"}");
  }

  @Test
  @ExtendWith(OutputCaptureExtension.class)
  void aClientThatHangsUpCancelsItsSampling(CapturedOutput log) throws Exception {
    double timeouts = failures("timeout");
    double cancelled = failures("cancelled");
    try (Socket socket = http.postAndHold("/v1/models/analytic-gmm-vp/samples", SLOW)) {
      awaitDepth(1);
    }
    awaitDepth(0);
    // Cancelled, not timed out: the server noticed the closed connection.
    assertThat(failures("cancelled")).isEqualTo(cancelled + 1);
    assertThat(failures("timeout")).isEqualTo(timeouts);
    assertThat(http.post("/v1/models/analytic-gmm-flow/samples", "{\"n\":1}", null).statusCode())
        .isEqualTo(200);
    // A hang-up is routine: no error or stack trace in the log for it.
    assertThat(log.getAll()).doesNotContain("ERROR", "Exception");
  }

  @Test
  void aFullQueueAnswers429AndATooLongRequest504ThenTheSlotIsFree() throws Exception {
    double timeouts = failures("timeout");
    CompletableFuture<HttpResponse<byte[]>> slow = CompletableFuture.supplyAsync(
        () -> http.post("/v1/models/analytic-gmm-vp/samples", SLOW, null));
    awaitDepth(1);

    HttpResponse<byte[]> rejected = http.post("/v1/models/analytic-gmm-flow/samples",
        "{\"n\":1}", null);
    assertThat(rejected.statusCode()).isEqualTo(429);
    assertThat(rejected.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(Http.json(rejected).get("detail").asString())
        .isEqualTo("all 1 request slots are busy; retry after 1 s");

    HttpResponse<byte[]> timedOut = slow.get();
    assertThat(timedOut.statusCode()).isEqualTo(504);
    assertThat(timedOut.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(Http.json(timedOut).get("detail").asString()).isEqualTo(
        "the request ran past its time limit of 1 s; ask for fewer samples or steps");
    assertThat(http.metric(DEPTH)).isEqualTo(0.0);
    assertThat(http.post("/v1/models/analytic-gmm-flow/samples", "{\"n\":1}", null).statusCode())
        .isEqualTo(200);
    assertThat(http.metric("streamline_rejections_total{application=\"streamline\","
        + "reason=\"queue_full\"}")).isEqualTo(1.0);
    assertThat(failures("timeout")).isEqualTo(timeouts + 1);
  }
}
