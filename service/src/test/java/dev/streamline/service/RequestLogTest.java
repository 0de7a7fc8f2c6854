package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import tools.jackson.databind.JsonNode;

/**
 * Request ids (the client's, or fresh ones) in the X-Request-Id header, the problem bodies of
 * every layer and the request log, which in the ECS format is one JSON object per request; and
 * clients that hang up, which are counted and never logged above DEBUG.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "streamline.bundled-models=false",
    "streamline.limits.max-body-size=1KB",
    "logging.level.streamline.requests=info",
    "logging.structured.format.console=ecs"})
@ExtendWith(OutputCaptureExtension.class)
class RequestLogTest extends HttpTest {

  private static final String UUID =
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
  private static final String DISCONNECTS = "streamline_disconnects_total{application=\"streamline\"}";

  /** The request log's JSON events, in order. */
  private static List<JsonNode> events(CapturedOutput output) {
    return Arrays.stream(output.getOut().split("\n"))
        .filter(line -> line.startsWith("{") && line.contains("\"streamline.requests\""))
        .map(Http.JSON::readTree).toList();
  }

  private static JsonNode event(CapturedOutput output, String requestId) {
    Http.await(() -> events(output).stream()
        .anyMatch(e -> e.get("requestId").asString().equals(requestId)), Duration.ofSeconds(5));
    return events(output).stream().filter(e -> e.get("requestId").asString().equals(requestId))
        .findFirst().orElseThrow(() -> new AssertionError("no event for " + requestId));
  }

  @Test
  void aClientsRequestIdIsInTheHeaderTheProblemAndTheLogLine(CapturedOutput output) {
    String id = "client-42.a:b_C";
    HttpResponse<byte[]> response = http.send("POST", "/v1/models/nope/samples", "{\"n\":1}",
        Map.of("X-Request-Id", id));
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("X-Request-Id")).hasValue(id);
    assertThat(Http.json(response).get("requestId").asString()).isEqualTo(id);

    JsonNode event = event(output, id);
    assertThat(event.get("log").get("level").asString()).isEqualTo("INFO");
    assertThat(event.get("method").asString()).isEqualTo("POST");
    assertThat(event.get("path").asString()).isEqualTo("/v1/models/nope/samples");
    assertThat(event.get("model").asString()).isEqualTo("nope");
    assertThat(event.get("status").asInt()).isEqualTo(404);
    assertThat(event.get("outcome").asString()).isEqualTo("not_found");
    assertThat(event.get("durationMs").asLong()).isNotNegative();

    HttpResponse<byte[]> ok = http.send("POST", "/v1/models/analytic-gmm-flow/samples",
        "{\"n\":2,\"steps\":2}", Map.of("X-Request-Id", "ok-1"));
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.headers().firstValue("X-Request-Id")).hasValue("ok-1");
    JsonNode served = event(output, "ok-1");
    assertThat(served.get("status").asInt()).isEqualTo(200);
    assertThat(served.get("outcome").asString()).isEqualTo("ok");
    assertThat(served.get("model").asString()).isEqualTo("analytic-gmm-flow");
  }

  @Test
  void aMalformedIdIsReplacedByAFreshOneInEveryLayersProblems() {
    for (String given : List.of("two words", "x".repeat(129), "<script>", "")) {
      // Spring's own 405, a filter's 413 answered before the body is read, and a handler's 400.
      HttpResponse<byte[]> notAllowed = http.send("DELETE", "/v1/samplers", null,
          Map.of("X-Request-Id", given));
      HttpResponse<byte[]> tooLarge = http.send("POST", "/v1/models/analytic-gmm-flow/samples",
          "{\"n\":1,\"sampler\":\"" + "x".repeat(2048) + "\"}", Map.of("X-Request-Id", given));
      HttpResponse<byte[]> invalid = http.send("POST", "/v1/models/analytic-gmm-flow/samples",
          "{\"n\":0}", Map.of("X-Request-Id", given));
      for (HttpResponse<byte[]> response : List.of(notAllowed, tooLarge, invalid)) {
        String id = response.headers().firstValue("X-Request-Id").orElseThrow();
        assertThat(id).matches(UUID);
        assertThat(response.headers().firstValue("Content-Type"))
            .hasValue("application/problem+json");
        assertThat(Http.json(response).get("requestId").asString()).isEqualTo(id);
      }
      assertThat(List.of(notAllowed.statusCode(), tooLarge.statusCode(), invalid.statusCode()))
          .containsExactly(405, 413, 400);
    }
  }

  @Test
  void aClientThatHangsUpIsCountedAndNotLoggedAboveDebug(CapturedOutput output) {
    double before = http.metric(DISCONNECTS);
    http.hangUpMidBody("/v1/models/analytic-gmm-flow/samples", true);
    http.hangUpMidBody("/v1/models/analytic-gmm-flow/samples", false);
    Http.await(() -> http.metric(DISCONNECTS) == before + 2, Duration.ofSeconds(5));
    assertThat(http.metric(DISCONNECTS)).isEqualTo(before + 2);
    assertThat(events(output).stream().filter(e -> e.get("status").asInt() == 499)
        .map(e -> e.get("outcome").asString())).containsExactly("disconnected", "disconnected");
    assertThat(output.getAll()).doesNotContain("\"ERROR\"", "\"WARN\"", "Exception");
    assertThat(http.post("/v1/models/analytic-gmm-flow/samples", "{\"n\":1}", null).statusCode())
        .isEqualTo(200);
  }
}
