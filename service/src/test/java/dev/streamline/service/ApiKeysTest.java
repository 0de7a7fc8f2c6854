package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * With {@code streamline.auth} on: no key or a wrong one is a 401 problem with
 * WWW-Authenticate, either header carries a key, health, info and prometheus stay open, and
 * fair admission counts each key as a client (all of them on one address here).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "streamline.bundled-models=false",
    "streamline.auth.enabled=true",
    "streamline.limits.queue-capacity=4",
    "streamline.limits.client-share-percent=50",
    "streamline.limits.max-cost-seconds=86400"})
class ApiKeysTest extends HttpTest {

  private static final String FIRST = "k1-2f8a0c6e9b";
  private static final String SECOND = "k2-71d3e5a4c0";

  @DynamicPropertySource
  static void tokens(DynamicPropertyRegistry registry) {
    try {
      Path file = Files.createTempFile("streamline-tokens", "");
      Files.writeString(file, "# keys of the test\n" + FIRST + "\n\n  " + SECOND + "  \n");
      file.toFile().deleteOnExit();
      registry.add("streamline.auth.tokens-file", file::toString);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private HttpResponse<byte[]> sample(Map<String, String> headers) {
    return http.send("POST", "/v1/models/analytic-gmm-flow/samples", "{\"n\":1}", headers);
  }

  private static void assertUnauthorized(HttpResponse<byte[]> response, String challenge,
      String detail) {
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue(challenge);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    JsonNode problem = Http.json(response);
    assertThat(problem.get("status").asInt()).isEqualTo(401);
    assertThat(problem.get("detail").asString()).isEqualTo(detail);
    assertThat(problem.get("requestId").asString())
        .isEqualTo(response.headers().firstValue("X-Request-Id").orElseThrow());
  }

  @Test
  void aRequestWithoutAValidKeyIsA401Problem() {
    String missing = "this endpoint needs an API key: send Authorization: Bearer <key> or"
        + " X-API-Key: <key>";
    assertUnauthorized(sample(Map.of()), "Bearer realm=\"streamline\"", missing);
    assertUnauthorized(http.get("/v1/models"), "Bearer realm=\"streamline\"", missing);
    assertUnauthorized(http.get("/v3/api-docs"), "Bearer realm=\"streamline\"", missing);
    String invalid = "Bearer realm=\"streamline\", error=\"invalid_token\"";
    for (String wrong : List.of(FIRST + "x", FIRST.substring(1), "# keys of the test", "-")) {
      assertUnauthorized(sample(Map.of("Authorization", "Bearer " + wrong)), invalid,
          "the API key is not valid");
      assertUnauthorized(sample(Map.of("X-API-Key", wrong)), invalid, "the API key is not valid");
    }
    // Basic is no bearer key.
    assertUnauthorized(sample(Map.of("Authorization", "Basic " + FIRST)),
        "Bearer realm=\"streamline\"", missing);
  }

  @Test
  void eitherHeaderCarriesAKeyOfTheFile() {
    assertThat(sample(Map.of("Authorization", "Bearer " + FIRST)).statusCode()).isEqualTo(200);
    assertThat(sample(Map.of("Authorization", "bearer " + SECOND)).statusCode()).isEqualTo(200);
    assertThat(sample(Map.of("X-API-Key", SECOND)).statusCode()).isEqualTo(200);
    assertThat(http.send("GET", "/v1/models", null, Map.of("X-API-Key", FIRST)).statusCode())
        .isEqualTo(200);
  }

  @Test
  void healthInfoAndPrometheusStayOpenForProbesAndScrapers() {
    for (String path : List.of("/actuator/health", "/actuator/health/liveness",
        "/actuator/health/readiness", "/actuator/info", "/actuator/prometheus")) {
      assertThat(http.get(path).statusCode()).as(path).isEqualTo(200);
    }
    // Nothing else of the actuator is exposed, with a key or without.
    assertThat(http.send("GET", "/actuator/env", null, Map.of("X-API-Key", FIRST)).statusCode())
        .isEqualTo(404);
  }

  @Test
  void eachKeyIsAClientOfFairAdmission() throws IOException {
    List<Socket> held = CostAndShareTest.holdTwo(http, InetAddress.getLoopbackAddress(),
        Map.of("X-API-Key", FIRST), 2);
    try {
      HttpResponse<byte[]> over = sample(Map.of("X-API-Key", FIRST));
      assertThat(over.statusCode()).isEqualTo(429);
      assertThat(over.headers().firstValue("Retry-After")).hasValue("1");
      assertThat(Http.json(over).get("detail").asString()).startsWith("this client has 2");
      // The same address with the other key is another client.
      assertThat(sample(Map.of("Authorization", "Bearer " + SECOND)).statusCode())
          .isEqualTo(200);
    } finally {
      for (Socket socket : held) {
        socket.close();
      }
    }
  }
}
