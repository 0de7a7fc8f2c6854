package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.net.InetAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import tools.jackson.databind.JsonNode;

/**
 * The cost limit (413 naming the estimate, its factors and the limit) and fair admission by
 * client address: four slots, two per client; a client over its share gets 429 while another
 * client is served, and a full house turns everyone down.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "streamline.bundled-models=false",
    "streamline.limits.queue-capacity=4",
    "streamline.limits.client-share-percent=50",
    "streamline.limits.max-cost-seconds=86400"})
class CostAndShareTest extends HttpTest {

  static final String SAMPLES = "/v1/models/analytic-gmm-vp/samples";
  /** About 4000 evaluations of a 1024-row mixture score: seconds on any machine. */
  static final String SLOW = "{\"n\":1024,\"sampler\":\"rk4\",\"steps\":1000}";
  private static final Pattern ESTIMATE = Pattern.compile("^this request would take up to"
      + " ([0-9.]+) s of compute \\(n=1024 × up to 2000000000 evaluations \\(maxNfe\\) of"
      + " 'dopri5' × ([0-9.]+) µs per row of 'analytic-gmm-vp'\\), over the limit of 86400 s"
      + " per request \\(streamline\\.limits\\.max-cost-seconds\\); ask for fewer samples or"
      + " steps, or a smaller maxNfe$");

  private double rejections(String reason) {
    return http.metric("streamline_rejections_total{application=\"streamline\",reason=\""
        + reason + "\"}");
  }

  private static InetAddress loopback(int last) {
    try {
      return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /**
   * Two slow requests of one client, held open, once the model has both in flight with the
   * others already there; closing the sockets cancels them.
   */
  static List<Socket> holdTwo(Http http, InetAddress from, Map<String, String> headers,
      double depthAfter) {
    List<Socket> held = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      held.add(http.postAndHold(SAMPLES, SLOW, from, headers));
    }
    Http.await(() -> http.metric("streamline_queue_depth{application=\"streamline\","
        + "model=\"analytic-gmm-vp\"}") == depthAfter, Duration.ofSeconds(10));
    return held;
  }

  @Test
  void aRequestOverTheCostLimitIsA413WithItsEstimateAndTheLimit() {
    double before = rejections("too_costly");
    HttpResponse<byte[]> costly = http.post(SAMPLES,
        "{\"n\":1024,\"sampler\":\"dopri5\",\"options\":{\"maxNfe\":2000000000}}", null);
    assertThat(costly.statusCode()).isEqualTo(413);
    assertThat(costly.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    String detail = Http.json(costly).get("detail").asString();
    Matcher figures = ESTIMATE.matcher(detail);
    assertThat(figures.matches()).as(detail).isTrue();
    double seconds = Double.parseDouble(figures.group(1));
    double microsPerRow = Double.parseDouble(figures.group(2));
    assertThat(microsPerRow).isPositive();
    // The estimate is the product of its factors (the time per row rounded to 0.001 µs).
    assertThat(seconds).isCloseTo(1024 * 2e9 * microsPerRow * 1e-6,
        within(1024 * 2e9 * 0.0005e-6 + 0.001));
    assertThat(seconds).isGreaterThan(86400);
    assertThat(rejections("too_costly")).isEqualTo(before + 1);
    // The same sampler within its budget runs.
    assertThat(http.post(SAMPLES,
        "{\"n\":4,\"sampler\":\"dopri5\",\"options\":{\"maxNfe\":200}}", null).statusCode())
        .isEqualTo(200);
  }

  @Test
  void aClientOverItsShareGets429WhileOthersAreServed() throws Exception {
    double overShare = rejections("over_share");
    double full = rejections("queue_full");
    List<Socket> held = new ArrayList<>();
    try {
      held.addAll(holdTwo(http, loopback(1), Map.of(), 2));

      Http.Raw refused = http.postFrom(loopback(1), SAMPLES, "{\"n\":1}");
      assertThat(refused.status()).isEqualTo(429);
      assertThat(refused.headers()).containsEntry("retry-after", "1");
      JsonNode problem = Http.JSON.readTree(refused.body());
      assertThat(problem.get("detail").asString()).isEqualTo("this client has 2 requests"
          + " running, its share of the 4 request slots"
          + " (streamline.limits.client-share-percent = 50); retry after 1 s");
      assertThat(rejections("over_share")).isEqualTo(overShare + 1);

      // Another client is served meanwhile, then takes its own share.
      assertThat(http.postFrom(loopback(2), SAMPLES, "{\"n\":1}").status()).isEqualTo(200);
      held.addAll(holdTwo(http, loopback(2), Map.of(), 4));
      // Every slot taken: a third client is turned down for the full house, not its share.
      Http.Raw busy = http.postFrom(loopback(3), SAMPLES, "{\"n\":1}");
      assertThat(busy.status()).isEqualTo(429);
      assertThat(Http.JSON.readTree(busy.body()).get("detail").asString())
          .isEqualTo("all 4 request slots are busy; retry after 1 s");
      assertThat(rejections("queue_full")).isEqualTo(full + 1);
    } finally {
      for (Socket socket : held) {
        socket.close();
      }
    }
    // The hang-ups free every slot.
    Http.await(() -> http.postFrom(loopback(1), SAMPLES, "{\"n\":1}").status() == 200,
        Duration.ofSeconds(10));
    assertThat(http.postFrom(loopback(1), SAMPLES, "{\"n\":1}").status()).isEqualTo(200);
  }
}
