package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.analytic.GaussianMixture;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code likelihood} and {@code encode} served: the analytic models' answers against their closed
 * forms, round trips through {@code samples}, diagnostics, and every bad input a problem.
 */
class LikelihoodApiTest extends ServiceTest {

  private static final GaussianMixture MIXTURE = GaussianMixture.standard2d();
  private static final NoiseProcess FLOW = new NoiseProcess.LinearInterpolant();

  private static String points(double[][] x) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < x.length; i++) {
      out.append(i > 0 ? "," : "").append("[").append(x[i][0]).append(",").append(x[i][1])
          .append("]");
    }
    return out.append("]").toString();
  }

  private JsonNode post(String path, String body) {
    HttpResponse<byte[]> response = http.post(path, body, null);
    assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
    return Http.json(response);
  }

  private static double[] doubles(JsonNode array) {
    double[] out = new double[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asDouble();
    }
    return out;
  }

  @Test
  void exactLikelihoodOfTheFlowModelIsTheMixtureDensity() {
    double[][] x = MIXTURE.sample(200, new Random(8));
    JsonNode answer = post("/v1/models/analytic-gmm-flow/likelihood", "{\"samples\": "
        + points(x) + ", \"sampler\": \"dopri5\", \"options\": {\"rtol\": 1e-7, \"atol\": 1e-7},"
        + " \"divergence\": \"exact\", \"seed\": 0}");
    assertThat(answer.get("model").asString()).isEqualTo("analytic-gmm-flow");
    assertThat(answer.get("divergence").asString()).isEqualTo("exact");
    assertThat(answer.has("probes")).isFalse();
    assertThat(answer.has("latents")).isFalse();
    double[] logp = doubles(answer.get("logLikelihood"));
    double[] bits = doubles(answer.get("bitsPerDim"));
    assertThat(logp).hasSize(200);
    for (int i = 0; i < x.length; i++) {
      assertThat(logp[i]).isCloseTo(MIXTURE.logDensity(x[i], 1, 0), within(1e-3));
      assertThat(bits[i]).isCloseTo(-logp[i] / (2 * Math.log(2)), within(1e-12));
    }
    assertThat(answer.get("nfe").asInt()).isGreaterThan(10);
  }

  @Test
  void hutchinsonOnTheVpModelAgreesWithExactWithinItsSpread() {
    double[][] x = new double[64][];
    java.util.Arrays.fill(x, new double[] {1.5, 1.0});
    String body = "{\"samples\": " + points(x) + ", \"sampler\": \"rk4\", \"steps\": 24,"
        + " \"seed\": 3, \"divergence\": \"%s\"%s}";
    double[] exact = doubles(post("/v1/models/analytic-gmm-vp/likelihood",
        body.formatted("exact", "")).get("logLikelihood"));
    JsonNode hutchinson = post("/v1/models/analytic-gmm-vp/likelihood",
        body.formatted("hutchinson", ", \"probes\": 4"));
    assertThat(hutchinson.get("probes").asInt()).isEqualTo(4);
    double[] estimate = doubles(hutchinson.get("logLikelihood"));
    double mean = 0;
    for (int i = 0; i < x.length; i++) {
      mean += (estimate[i] - exact[i]) / x.length;
    }
    double variance = 0;
    for (int i = 0; i < x.length; i++) {
      variance += Math.pow(estimate[i] - exact[i] - mean, 2) / (x.length - 1);
    }
    assertThat(Math.sqrt(variance)).isGreaterThan(1e-3);
    assertThat(Math.abs(mean)).isLessThan(3 * Math.sqrt(variance / x.length));
  }

  /** encode then samples, through the API, at several step counts: the latents bring x back. */
  @Test
  void encodeAndSampleRoundTrip() {
    double[][] x = MIXTURE.sample(16, new Random(2));
    double previous = Double.POSITIVE_INFINITY;
    for (int steps : new int[] {8, 32}) {
      JsonNode encoded = post("/v1/models/analytic-gmm-flow/encode", "{\"samples\": "
          + points(x) + ", \"sampler\": \"rk4\", \"steps\": " + steps + "}");
      assertThat(encoded.get("steps").asInt()).isEqualTo(steps);
      assertThat(encoded.get("nfe").asInt()).isEqualTo(4 * steps);
      JsonNode back = post("/v1/models/analytic-gmm-flow/samples", "{\"n\": 16, \"sampler\":"
          + " \"rk4\", \"steps\": " + steps + ", \"latents\": " + encoded.get("latents") + "}");
      double worst = 0;
      for (int i = 0; i < x.length; i++) {
        for (int j = 0; j < 2; j++) {
          worst = Math.max(worst, Math.abs(back.get("samples").get(i).get(j).asDouble()
              - x[i][j]));
        }
      }
      assertThat(worst).as("steps %d", steps).isLessThan(steps == 8 ? 0.2 : 2e-3)
          .isLessThan(previous);
      previous = worst;
    }
  }

  @Test
  void likelihoodAnswersItsLatentsAndDiagnostics() {
    JsonNode answer = post("/v1/models/analytic-gmm-flow/likelihood", "{\"samples\":"
        + " [[-2.0, 0.1], [2.0, 1.4]], \"sampler\": \"dopri5\", \"returnLatents\": true,"
        + " \"sensitivity\": true, \"seed\": 1}");
    assertThat(answer.get("latents").size()).isEqualTo(2);
    JsonNode first = answer.get("diagnostics").get(0);
    int attempts = first.get("acceptedSteps").asInt() + first.get("rejectedSteps").asInt();
    assertThat(first.get("nfe").asInt()).isEqualTo(2 + 6 * attempts);
    assertThat(first.get("stiffness").asDouble()).isPositive();
    assertThat(first.get("straightness").asDouble()).isBetween(0.0, 1.0 + 1e-9);
    assertThat(first.get("sensitivity").asDouble()).isPositive();
    JsonNode sampled = post("/v1/models/analytic-gmm-flow/samples", "{\"n\": 3, \"sampler\":"
        + " \"euler\", \"steps\": 6, \"diagnostics\": true, \"options\": {\"clip\": 0.5}}");
    assertThat(sampled.get("diagnostics")).hasSize(3);
    assertThat(sampled.get("diagnostics").get(0).get("guardActed").asInt()).isPositive();
    assertThat(sampled.get("diagnostics").get(0).has("acceptedSteps")).isFalse();
    assertThat(post("/v1/models/analytic-gmm-flow/samples", "{\"n\": 1}").has("diagnostics"))
        .isFalse();
  }

  /** Concurrent likelihood requests share the one gradient collector without failing. */
  @Test
  void concurrentLikelihoodRequestsAllSucceed() {
    List<CompletableFuture<HttpResponse<byte[]>>> answers = new ArrayList<>();
    for (int request = 0; request < 12; request++) {
      int i = request;
      String body = "{\"samples\": [[0.5, -1.0], [1.0, 2.0]], \"sampler\": \"heun\", \"steps\":"
          + " 16, \"seed\": " + i + ", \"divergence\": \"hutchinson\", \"probes\": 2}";
      answers.add(CompletableFuture.supplyAsync(() -> http.post(
          "/v1/models/" + (i % 2 == 0 ? "analytic-gmm-flow" : "moons-flow") + "/likelihood",
          body, null)));
    }
    for (CompletableFuture<HttpResponse<byte[]>> answer : answers) {
      HttpResponse<byte[]> response = answer.join();
      assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
    }
    double nfe = http.metric("streamline_nfe_total{application=\"streamline\",endpoint="
        + "\"likelihood\",model=\"moons-flow\",sampler=\"heun\"}");
    assertThat(nfe).isGreaterThanOrEqualTo(6 * 32);
  }

  @Test
  void openApiDescribesTheNewBodies() {
    JsonNode docs = http.getJson("/v3/api-docs");
    for (String path : List.of("/v1/models/{id}/likelihood", "/v1/models/{id}/encode")) {
      assertThat(docs.get("paths").has(path)).as(path).isTrue();
    }
    JsonNode schemas = docs.get("components").get("schemas");
    JsonNode request = schemas.get("LikelihoodRequest").get("properties");
    assertThat(request.get("divergence").get("enum").toString())
        .isEqualTo("[\"exact\",\"hutchinson\"]");
    assertThat(request.get("probes").get("maximum").asInt()).isEqualTo(64);
    assertThat(request.get("options").get("$ref").asString())
        .isEqualTo("#/components/schemas/SamplerOptions");
    assertThat(schemas.get("LikelihoodRequest").get("required").toString())
        .isEqualTo("[\"samples\"]");
    assertThat(schemas.get("LikelihoodResponse").get("properties").has("bitsPerDim")).isTrue();
    assertThat(schemas.get("EncodeRequest").get("properties").has("guidance")).isTrue();
    assertThat(schemas.get("EncodeResponse").get("properties").has("latents")).isTrue();
    assertThat(schemas.get("SampleDiagnostics").get("properties").has("stiffness")).isTrue();
  }

  private void problem(String path, String body, int status, String detail) {
    HttpResponse<byte[]> response = http.post(path, body, null);
    assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValue(
        "application/problem+json");
    assertThat(Http.json(response).get("detail").asString()).contains(detail);
  }

  @Test
  void badInputIsAProblemThatSaysWhatToChange() {
    String likelihood = "/v1/models/analytic-gmm-flow/likelihood";
    problem(likelihood, "{\"samples\": [[1, 2, 3]]}", 400,
        "samples[0] must be an array of 2");
    problem(likelihood, "{\"samples\": [[1, \"NaN\"]]}", 400, "samples[0][1] must be a finite");
    problem(likelihood, "{\"samples\": [[1, 1e39]]}", 400, "samples[0][1] must be a finite");
    problem(likelihood, "{\"samples\": [[1, 2]], \"sampler\": \"ddpm\"}", 400,
        "likelihood integrates the probability-flow ODE with one of [euler, midpoint, heun,"
            + " rk4, bosh3, dopri5]");
    problem(likelihood, "{\"samples\": [[1, 2]], \"divergence\": \"hutchinson\", \"probes\": 0}",
        400, "probes must be in [1, 64], got 0");
    problem(likelihood, "{\"samples\": [[1, 2]], \"divergence\": \"hutchinson\", \"probes\": 65}",
        400, "probes must be in [1, 64], got 65");
    problem(likelihood, "{\"samples\": [[1, 2]], \"probes\": 3}", 400,
        "probes is for the hutchinson divergence");
    problem(likelihood, "{\"samples\": [[1, 2]], \"divergence\": \"trace\"}", 400,
        "divergence must be 'exact' or 'hutchinson'");
    problem(likelihood, "{\"samples\": []}", 400, "samples is required");
    problem(likelihood, "{\"samples\": [[1, 2]], \"options\": {\"clip\": 1.0}}", 400,
        "clip and threshold change the ODE");
    problem("/v1/models/tiny-unet/likelihood", "{\"samples\": " + tinyImage()
        + ", \"divergence\": \"exact\"}", 400,
        "'tiny-unet' has 784, over the limit of 64; use \"divergence\": \"hutchinson\"");
    problem("/v1/models/no-gradient/likelihood", "{\"samples\": [[1, 2]], \"sampler\": \"euler\","
        + " \"steps\": 2}", 422, "the network gives no gradient with respect to its input");
    problem("/v1/models/analytic-gmm-flow/encode", "{\"samples\": [[1, 2]], \"sampler\":"
        + " \"euler-maruyama\"}", 400, "encode runs the deterministic samplers [euler, midpoint,"
            + " heun, rk4, bosh3, dopri5, ddim]");
    problem("/v1/models/analytic-gmm-flow/encode", "{\"samples\": [[1, 2]], \"wrong\": 1}", 400,
        "wrong");
    problem("/v1/models/nope/encode", "{\"samples\": [[1, 2]]}", 404, "no model 'nope'");
  }

  private static String tinyImage() {
    StringBuilder row = new StringBuilder("[");
    for (int i = 0; i < 28; i++) {
      row.append(i > 0 ? "," : "").append("0.1");
    }
    row.append("]");
    StringBuilder channel = new StringBuilder("[");
    for (int i = 0; i < 28; i++) {
      channel.append(i > 0 ? "," : "").append(row);
    }
    return "[[" + channel.append("]") + "]]";
  }
}
