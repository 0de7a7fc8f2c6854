package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamline.sampler.SamplerCatalog;
import dev.streamline.sampler.SamplerOption;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
        400, "sampler 'heun' does not read [eta]; it reads "
            + SamplerCatalog.spec("heun").options());
    assertProblem(sample("moons-flow", "{\"n\":1,\"steps\":8,\"options\":{\"startStep\":2}}"),
        400, "a run from step 2 of 8 starts from latents as the state at that step; give them (to"
            + " start from data, noise it to that step's level first, alpha·x0 + sigma·z)");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"guidanceRescale\":0.5}}"),
        400, "[guidanceRescale] shape classifier-free guidance; give labels and a guidance scale"
            + " other than 1");
    assertProblem(sample("moons-flow", "{\"n\":1,\"sampler\":\"dopri5\",\"options\":{\"rtol\":-1}}"),
        400, "rtol must be a finite number > 0, got -1.0");
    assertProblem(sample("moons-flow",
        "{\"n\":1,\"sampler\":\"dopri5\",\"options\":{\"maxNfe\":0}}"), 400,
        "maxNfe must be >= 1, got 0");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"threshold\":1}}"), 400,
        "threshold must be in (0, 1), got 1.0");
    assertProblem(sample("moons-flow", "{\"n\":2,\"latents\":[[1,2]]}"), 400,
        "latents must be an array of 2 (latents must have the shape [n, ...model shape] = [2, 2])");
    assertProblem(sample("moons-flow", "{\"n\":1,\"latents\":[[1,\"x\"]]}"), 400,
        "latents[0][1] must be a finite float32 number (within ±3.4028235E38) (latents must have"
            + " the shape [n, ...model shape] = [1, 2])");
    assertProblem(sample("moons-flow", "{\"n\":1,\"labels\":[0]}"), 400,
        "the model is unconditional; it takes no labels");
    assertProblem(sample("tiny-unet", "{\"n\":2,\"labels\":[0,3]}"), 400,
        "label 3 is outside [0, 3)");
    assertProblem(sample("tiny-unet", "{\"n\":2,\"labels\":[0,null]}"), 400, "labels[1] is null");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"timeGrid\":\"cosine\"}}"), 400,
        "unknown timeGrid 'cosine'; expected one of [uniform, karras, log-snr, leading, trailing,"
            + " linspace, exponential, polyexponential, sgm-uniform, simple, ddim-uniform, normal,"
            + " beta, beta-sigmas, linear-quadratic, kl-optimal, ays]");
    // Was a 500: the bound overflowed float32 inside the engine.
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"clip\":3.5e38}}"), 400,
        "clip must be > 0 and below 3.4e38 (it bounds float32 values), got 3.5E38");
    // Was a 422 that blamed the sampling: sigma^(1/rho) overflowed.
    assertProblem(sample("moons-flow",
        "{\"n\":1,\"options\":{\"timeGrid\":\"karras\",\"rho\":1e-300}}"), 400,
        "time grid 'karras' with rho=1.0E-300 has non-finite or out-of-order times; choose a"
            + " moderate value (the defaults are rho=7.0 for karras and 1.0 for polyexponential,"
            + " shift=1.0)");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"clip\":1,\"threshold\":0.99}}"),
        400, "clip and threshold both guard x0; choose one");
    assertProblem(sample("moons-flow", ""), 400,
        "unreadable request body: the body is missing or is not JSON");
    assertProblem(sample("tiny-unet", "{\"n\":2,\"guidance\":3}"), 400,
        "guidance needs labels: it contrasts the labelled prediction with the unconditional one");
  }

  /** In JSON's terms and the request's paths, not the Java types the body binds to. */
  @Test
  void valuesOfTheWrongType() {
    assertProblem(sample("moons-flow", "{\"n\":\"abc\"}"), 400,
        "unreadable request body: n must be an integer, got \"abc\"");
    assertProblem(sample("moons-flow", "{\"n\":1.5}"), 400,
        "unreadable request body: n must be an integer, got 1.5");
    assertProblem(sample("moons-flow", "{\"n\":\"2\"}"), 400,
        "unreadable request body: n must be an integer, got \"2\"");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"eta\":\"0.5\"}}"), 400,
        "unreadable request body: options.eta must be a number, got \"0.5\"");
    assertProblem(sample("moons-flow", "{\"n\":1,\"returnTrajectory\":1}"), 400,
        "unreadable request body: returnTrajectory must be true or false, got 1");
    assertProblem(sample("moons-flow", "{\"n\":1,\"steps\":2.0}"), 400,
        "unreadable request body: steps must be an integer, got 2.0");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":[]}"), 400,
        "unreadable request body: options must be an object");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"rho\":true}}"), 400,
        "unreadable request body: options.rho must be a number");
    assertProblem(sample("tiny-unet", "{\"n\":1,\"labels\":[\"a\"]}"), 400,
        "unreadable request body: labels[0] must be an integer, got \"a\"");
    assertProblem(sample("moons-flow", "{\"n\":1,\"returnTrajectory\":\"yes\"}"), 400,
        "unreadable request body: returnTrajectory must be true or false, got \"yes\"");
    assertProblem(sample("moons-flow", "[{\"n\":1}]"), 400,
        "unreadable request body: the body must be an object");
    assertProblem(sample("moons-flow", "{\"n\":1,\"seed\":9223372036854775808}"), 400,
        "unreadable request body: seed: Numeric value (9223372036854775808) out of range of long"
            + " (-9223372036854775808 - 9223372036854775807)");
    assertProblem(sample("moons-flow", "{\"n\":1" + "0".repeat(1001) + "}"), 400,
        "unreadable request body: Number value length (1002) exceeds the maximum allowed (1000)");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"etaa\":1}}"), 400,
        "unreadable request body: Unrecognized property \"etaa\" in options; known: "
            + Arrays.stream(SamplerOption.values()).map(SamplerOption::id).toList());
  }

  /** Were taken: a number or boolean as a string, and the last of two equal keys. */
  @Test
  void strictJson() {
    assertProblem(sample("moons-flow", "{\"n\":1,\"sampler\":1}"), 400,
        "unreadable request body: sampler must be a string, got 1");
    assertProblem(sample("moons-flow", "{\"n\":1,\"sampler\":true}"), 400,
        "unreadable request body: sampler must be a string, got true");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"timeGrid\":2.5}}"), 400,
        "unreadable request body: options.timeGrid must be a string, got 2.5");
    assertProblem(sample("moons-flow", "{\"n\":1,\"n\":2}"), 400,
        "unreadable request body: property \"n\" is given twice; give each property once");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"rho\":7,\"rho\":8}}"), 400,
        "unreadable request body: property \"rho\" is given twice in options; give each"
            + " property once");
    assertProblem(sample("moons-flow", "{\"n\":1} {\"n\":2}"), 400,
        "unreadable request body: more follows the JSON value of the body; send one JSON object");
  }

  @Test
  void valuesPastWhatTheSamplingTakes() {
    // Finite as doubles, infinite as the float32 the sampling runs in.
    assertProblem(sample("moons-flow", "{\"n\":1,\"latents\":[[1e39,0]]}"), 400,
        "latents[0][0] must be a finite float32 number (within ±3.4028235E38) (latents must have"
            + " the shape [n, ...model shape] = [1, 2])");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"shift\":\"Infinity\"}}"), 400,
        "options.shift must be a finite number, got Infinity");
    assertProblem(sample("moons-flow", "{\"n\":1,\"sampler\":\"ddim\","
        + "\"options\":{\"eta\":1e400}}"), 400,
        "options.eta must be a finite number, got Infinity");
  }

  /** Values that pass validation and still make the sampling fail: 422, what to change. */
  @Test
  void samplingThatCannotFinish() {
    assertProblem(sample("moons-flow", "{\"n\":1,\"sampler\":\"dopri5\","
        + "\"options\":{\"maxNfe\":1}}"), 422,
        "dopri5 needs more than maxNfe=1 network evaluations: 1 of 1 samples have not reached"
            + " t=1.0 (furthest behind at t=0.00000); raise maxNfe or loosen rtol/atol");
    assertProblem(sample("tiny-unet", "{\"n\":1,\"steps\":2,\"labels\":[0],"
        + "\"guidance\":1e300}"), 422, "euler produced non-finite values at step 1 (t=0.500000);"
        + " lower the guidance, add steps, or enable the x0 clip");
  }

  @Test
  void notJson() {
    String path = "/v1/models/moons-flow/samples";
    assertProblem(http.post(path, "{\"n\":1}", null, null), 415, "the body must be JSON, sent"
        + " with Content-Type: application/json; this one has no Content-Type");
    assertProblem(http.post(path, "n=1", "application/x-www-form-urlencoded", null), 415,
        "the body must be JSON, sent with Content-Type: application/json; this one has"
            + " Content-Type: application/x-www-form-urlencoded");
  }

  @Test
  void outputIsLatentOrDecodedAndPngIsDecoded() {
    assertProblem(sample("flow-sd3-latent", "{\"n\":1,\"output\":\"latents\"}"), 400,
        "output must be 'latent' or 'decoded', got 'latents'");
    assertProblem(sample("moons-flow", "{\"n\":1,\"output\":\"latent\"}"), 400,
        "output 'latent' is for latent models (with a decoder); 'moons-flow' samples its data"
            + " directly");
    assertProblem(http.post("/v1/models/flow-sd3-latent/samples",
        "{\"n\":1,\"output\":\"latent\"}", "image/png"), 406, "image/png answers are decoded"
        + " images; for output 'latent' ask for application/json or application/x-npy");
  }

  @Test
  void unknownModel() {
    assertProblem(sample("nope", "{\"n\":1}"), 404, "no model 'nope'; served: [analytic-gmm-flow,"
        + " analytic-gmm-vp, moons-flow, checkerboard-ot-flow, gaussians8-diffusion,"
        + " fashion-mnist-flow, flow-sd3-latent, no-gradient, tiny-unet, vp-cos-v]");
    assertThat(http.get("/v1/models/nope").statusCode()).isEqualTo(404);
  }

  @Test
  void unknownPath() {
    String api = "; the API is described at /v3/api-docs and /swagger-ui.html";
    assertProblem(http.get("/v1/model"), 404, "no endpoint at /v1/model" + api);
    assertProblem(http.get("/actuator/env"), 404, "no endpoint at /actuator/env" + api);
  }

  @Test
  void notAcceptable() {
    assertProblem(http.post("/v1/models/moons-flow/samples", "{\"n\":1}", "image/png"), 406,
        "image/png is offered for image models; 'moons-flow' has samples of shape [2]: ask for"
            + " application/json or application/x-npy");
    String offered = "the Accept header asks for no format offered here, or is no list of media"
        + " types; ask for application/json, application/x-npy, image/png, or send no Accept"
        + " header";
    assertProblem(http.post("/v1/models/moons-flow/samples", "{\"n\":1}", "text/csv"), 406,
        offered);
    // q=0 refuses a type, also where a wildcard would take it.
    assertProblem(http.post("/v1/models/moons-flow/samples", "{\"n\":1}",
        "application/x-npy;q=0"), 406, offered);
    assertThat(http.post("/v1/models/moons-flow/samples", "{\"n\":1}",
        "application/json;q=0, application/*;q=0.5").headers().firstValue("Content-Type"))
        .hasValue("application/x-npy");
    // PNG preferred, but not offered for points: the next one acceptable.
    assertThat(http.post("/v1/models/moons-flow/samples", "{\"n\":1}",
        "image/*;q=0.9, application/json;q=0.1").headers().firstValue("Content-Type"))
        .hasValue("application/json");
    // Negotiated against the same header, Spring's answer to this one had no body.
    assertProblem(http.post("/v1/models/moons-flow/samples", "{\"n\":1}", "garbage"), 406,
        offered);
  }

  /**
   * A request answered without its body being read (406, 415) leaves its connection open for the
   * next: Reactor Netty 1.3.6 at times stopped reading such a connection (see the pin in pom.xml).
   */
  @Test
  void aConnectionServesOnAfterARequestTurnedDownUnread() throws IOException {
    byte[] unread = request("{\"n\":1,\"steps\":4}", "Accept: text/csv\r\n");
    byte[] good = request("{\"n\":1,\"steps\":1}", "");
    try (Socket socket = new Socket("localhost", port)) {
      socket.setSoTimeout(5000);
      InputStream in = socket.getInputStream();
      for (int i = 0; i < 600; i++) {
        socket.getOutputStream().write(i % 2 == 0 ? unread : good);
        try {
          assertThat(status(in)).as("answer %d", i).isEqualTo(i % 2 == 0 ? 406 : 200);
        } catch (SocketTimeoutException e) {
          throw new AssertionError("no answer to request " + i + " on the connection", e);
        }
      }
    }
  }

  private static byte[] request(String body, String headers) {
    return ("POST /v1/models/analytic-gmm-flow/samples HTTP/1.1\r\nHost: localhost\r\n"
        + "Content-Type: application/json\r\n" + headers + "Content-Length: " + body.length()
        + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
  }

  /** Reads one answer with a Content-Length body; its status. */
  private static int status(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed after: " + head);
      }
      head.append((char) b);
    }
    Matcher length = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
    assertThat(length.find()).as("Content-Length in %s", head).isTrue();
    in.readNBytes(Integer.parseInt(length.group(1)));
    return Integer.parseInt(head.substring(9, 12));
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
  void aGridListOrTableTheModelCannotTakeIsA400() {
    assertProblem(sample("moons-flow", "{\"n\":1,\"steps\":8,\"options\":{\"sigmas\":[1,0.5,0]}}"),
        400, "sigmas define 2 steps (one per value before the data end) and steps is 8: leave"
            + " steps out or make it 2");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"sigmas\":[1,\"x\"]}}"), 400,
        "unreadable request body: options.sigmas[1] must be a number, got \"x\"");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"sigmas\":[1,0.5],"
        + "\"timeGrid\":\"karras\"}}"), 400, "sigmas are the grid itself; they take no timeGrid,"
        + " rho, shift, betaAlpha, betaBeta or aysModel");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"timeGrid\":\"ays\","
        + "\"aysModel\":\"sd1\"}}"), 400, "the ays table of sd1 runs sigma 14.6146 to 0.0291672,"
        + " the range of that family; this model's process (linear) runs sigma/alpha Infinity to"
        + " 0.00000: choose the aysModel of its family, or another grid");
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"betaAlpha\":0.5}}"), 400,
        "betaAlpha and betaBeta shape the beta grids; time grid 'uniform' reads none");
  }

  @Test
  void aTimeGridTheModelCannotHoldIsA400() {
    assertProblem(sample("moons-flow", "{\"n\":1,\"options\":{\"timeGrid\":\"leading\"}}"), 400,
        "time grid 'leading' steps on the timesteps of a discrete schedule; this model's process"
            + " is linear: use uniform, karras or log-snr");
    assertProblem(sample("vp-cos-v", "{\"n\":1,\"sampler\":\"ddim\",\"options\":{\"shift\":2}}"),
        400, "shift moves continuous grids; time grid 'linspace' lies on the schedule's timesteps");
  }

  @Test
  void aModelThatFailedToLoadIsNamedByIdWithAReasonThatNamesNoPath() {
    JsonNode readiness = http.getJson("/actuator/health/readiness");
    JsonNode models = readiness.get("components").get("models");
    assertThat(models.get("status").asString()).isEqualTo("UP");
    JsonNode details = models.get("details");
    String unserved = "scheduler_config.json: _class_name 'KarrasVeScheduler' is not"
        + " supported; supported: [DDIMScheduler, DDPMScheduler, DEISMultistepScheduler,"
        + " DPMSolverMultistepScheduler, EDMDPMSolverMultistepScheduler, EDMEulerScheduler, EulerAncestralDiscreteScheduler,"
        + " EulerDiscreteScheduler, FlowMatchEulerDiscreteScheduler, HeunDiscreteScheduler,"
        + " LMSDiscreteScheduler, PNDMScheduler, UniPCMultistepScheduler]";
    // Its directory is downloaded-model; it is reported by the id its model.json declares.
    assertThat(details.get("failed").toString())
        .isEqualTo(Http.JSON.createObjectNode().put("karras-ve", unserved).toString());
    // Unreadable model.json, so no id: the reason alone, its path cut to the file name.
    assertThat(details.get("failedWithoutId")).hasSize(1);
    assertThat(details.get("failedWithoutId").get(0).asString())
        .startsWith("model.json: not valid JSON");
    // Declared twice: served once, and not also listed as failed.
    assertThat(details.get("ready").toString()).containsOnlyOnce("\"no-gradient\"");
    assertThat(details.get("duplicates").toString()).isEqualTo(
        "{\"no-gradient\":\"declared again by another model directory, which is not served\"}");
    String cwd = Path.of("").toAbsolutePath().toString();
    assertThat(readiness.toString()).doesNotContain(cwd, "test-models", "downloaded-model");

    assertProblem(sample("karras-ve", "{\"n\":1}"), 503,
        "model 'karras-ve' failed to load: " + unserved);
    HttpResponse<byte[]> broken = sample("broken", "{\"n\":1}");
    assertThat(broken.statusCode()).isEqualTo(404);
    assertThat(Http.json(broken).get("detail").asString()).startsWith("no model 'broken'; served:");
  }

  @Test
  void healthShowsNoDiskFiguresOrPaths() {
    JsonNode health = http.getJson("/actuator/health");
    assertThat(health.get("status").asString()).isEqualTo("UP");
    assertThat(health.get("components").get("diskSpace").toString())
        .isEqualTo("{\"status\":\"UP\"}");
    String text = health.toString();
    assertThat(text).doesNotContain("\"details\"", "free", "total",
        Path.of("").toAbsolutePath().toString());
  }
}
