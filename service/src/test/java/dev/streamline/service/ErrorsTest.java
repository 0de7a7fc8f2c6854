package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Every client error is an RFC 9457 problem whose detail says what to change. */
class ErrorsTest extends ServiceTest {

  private void assertProblem(HttpResponse<byte[]> response, int status, String detail) {
    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    JsonNode problem = Http.json(response);
    assertThat(problem.get("status").asInt()).isEqualTo(status);
    assertThat(problem.get("title").asString()).isNotBlank();
    assertThat(problem.get("detail").asString()).isEqualTo(detail);
  }

  private HttpResponse<byte[]> sample(String model, String body) {
    return http.post("/v1/models/" + model + "/samples", body, null);
  }

  @Test
  void malformedJson() {
    assertProblem(sample("moons-flow", "{\"n\":3,"), 400,
        "unreadable request body: Unexpected end-of-input within/between Object entries");
  }

  @Test
  void unknownField() {
    HttpResponse<byte[]> response = sample("moons-flow", "{\"n\":3,\"step\":4}");
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(Http.json(response).get("detail").asString())
        .startsWith("unreadable request body: Unrecognized property \"step\"")
        .doesNotContain("dev.streamline");
  }

  @Test
  void invalidFields() {
    assertProblem(sample("moons-flow", "{}"), 400, "n (the number of samples) is required");
    assertProblem(sample("moons-flow", "{\"n\":0}"), 400, "n must be >= 1, got 0");
    assertProblem(sample("moons-flow", "{\"n\":1,\"steps\":0}"), 400, "steps must be >= 1, got 0");
    assertThat(Http.json(sample("moons-flow", "{\"n\":1,\"sampler\":\"plms\"}")).get("detail")
        .asString()).startsWith("unknown sampler 'plms'");
    assertProblem(sample("moons-flow", "{\"n\":1,\"sampler\":\"heun\",\"options\":{\"eta\":1}}"),
        400, "sampler 'heun' does not read [eta]; it reads [timeGrid, rho, shift, clip, threshold]");
    assertProblem(sample("moons-flow", "{\"n\":1,\"sampler\":\"dopri5\",\"options\":{\"rtol\":-1}}"),
        400, "rtol must be a finite number > 0, got -1.0");
    assertProblem(sample("moons-flow", "{\"n\":2,\"latents\":[[1,2]]}"), 400,
        "latents must be an array of 2 (latents must have the shape [n, ...model shape] = [2, 2])");
    assertProblem(sample("moons-flow", "{\"n\":1,\"latents\":[[1,\"x\"]]}"), 400,
        "latents[0][1] must be a finite number (latents must have the shape [n, ...model shape]"
            + " = [1, 2])");
    assertProblem(sample("moons-flow", "{\"n\":1,\"labels\":[0]}"), 400,
        "the model is unconditional; it takes no labels");
    assertProblem(sample("tiny-unet", "{\"n\":2,\"labels\":[0,3]}"), 400,
        "label 3 is outside [0, 3)");
    assertProblem(sample("tiny-unet", "{\"n\":2,\"labels\":[0,null]}"), 400, "labels[1] is null");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"timeGrid\":\"cosine\"}}"), 400,
        "unknown time grid 'cosine'; expected one of [uniform, karras, log-snr]");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"clip\":1,\"threshold\":0.99}}"),
        400, "clip and threshold both guard x0; choose one");
    assertProblem(sample("moons-flow", ""), 400,
        "unreadable request body: the body is missing or is not JSON");
    assertProblem(sample("tiny-unet", "{\"n\":2,\"guidance\":3}"), 400,
        "guidance needs labels: it contrasts the labelled prediction with the unconditional one");
  }

  @Test
  void unknownModel() {
    assertProblem(sample("nope", "{\"n\":1}"), 404, "no model 'nope'; served: [analytic-gmm-flow,"
        + " analytic-gmm-vp, moons-flow, checkerboard-ot-flow, gaussians8-diffusion,"
        + " fashion-mnist-flow, tiny-unet]");
    assertThat(http.get("/v1/models/nope").statusCode()).isEqualTo(404);
  }

  @Test
  void notAcceptable() {
    assertProblem(http.post("/v1/models/moons-flow/samples", "{\"n\":1}", "image/png"), 406,
        "image/png is offered for image models; 'moons-flow' has samples of shape [2]: ask for"
            + " application/json or application/x-npy");
    HttpResponse<byte[]> csv = http.post("/v1/models/moons-flow/samples", "{\"n\":1}", "text/csv");
    assertThat(csv.statusCode()).isEqualTo(406);
  }

  @Test
  void overTheLimits() {
    assertProblem(sample("moons-flow", "{\"n\":1025}"), 413,
        "n=1025 is over the limit of 1024 samples per request; split it into several requests");
    assertProblem(sample("moons-flow", "{\"n\":1,\"steps\":1001}"), 413,
        "steps=1001 is over the limit of 1000 steps per request");
    String huge = "{\"n\":1,\"sampler\":\"" + "x".repeat(17 * 1024 * 1024) + "\"}";
    String tooLarge =
        "the request body is over the limit of 16777216 bytes (streamline.limits.max-body-size)";
    // Answered before the body is read: every client must get the answer, not a reset.
    for (int i = 0; i < 10; i++) {
      assertProblem(sample("moons-flow", huge), 413, tooLarge);
    }
    assertProblem(http.postChunked("/v1/models/moons-flow/samples", huge), 413, tooLarge);
    assertProblem(http.postChunked("/v1/models/moons-flow/samples", "{\"n\":1,\"steps\":0}"), 400,
        "steps must be >= 1, got 0");
  }

  @Test
  void aModelThatFailedToLoadIsNamedAndTheOthersServe() {
    JsonNode readiness = http.getJson("/actuator/health/readiness");
    JsonNode models = readiness.get("components").get("models");
    assertThat(models.get("status").asString()).isEqualTo("UP");
    assertThat(models.get("details").get("failed").get("broken").asString())
        .contains("model.json: not valid JSON");
    HttpResponse<byte[]> response = sample("broken", "{\"n\":1}");
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(Http.json(response).get("detail").asString())
        .startsWith("model 'broken' failed to load: ").contains("model.json: not valid JSON");
  }
}
