package dev.streamline.service;

import static dev.streamline.sampler.SamplerOption.ATOL;
import static dev.streamline.sampler.SamplerOption.RTOL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.Parameterization;
import dev.streamline.sampler.SamplerCatalog;
import dev.streamline.sampler.SamplerOption;
import dev.streamline.sampler.SamplerOptions;
import dev.streamline.sampler.SamplerSpec;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SamplingLoop;
import dev.streamline.sampler.analytic.GaussianMixture;
import dev.streamline.sampler.analytic.GaussianMixtureModel;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Every endpoint and format over real HTTP, with exact responses. */
class ApiTest extends ServiceTest {

  private static final String SAMPLES = "/v1/models/%s/samples";

  @Test
  void listsTheServedModelsWithTheirDescriptions() {
    JsonNode models = http.getJson("/v1/models").get("models");
    List<String> ids = new ArrayList<>();
    models.forEach(m -> ids.add(m.get("id").asString()));
    assertThat(ids).containsExactly("analytic-gmm-flow", "analytic-gmm-vp", "moons-flow",
        "checkerboard-ot-flow", "gaussians8-diffusion", "fashion-mnist-flow", "flow-sd3-latent",
        "no-gradient", "tiny-unet", "vp-cos-v");
    JsonNode moons = models.get(2);
    assertThat(Http.JSON.writeValueAsString(moons)).isEqualTo("{\"id\":\"moons-flow\","
        + "\"kind\":\"flow\",\"process\":\"linear\",\"parameterization\":\"velocity\","
        + "\"shape\":[2],\"classes\":[],\"defaultSampler\":\"heun\",\"defaultSteps\":32,"
        + "\"dataset\":\"moons\",\"conventions\":{\"process\":\"linear\",\"schedule\":{},"
        + "\"parameterization\":\"velocity\",\"timeInput\":{\"type\":\"t\",\"scale\":1.0},"
        + "\"defaultOptions\":{}}}");
    JsonNode fashion = models.get(5);
    assertThat(fashion.get("classes").size()).isEqualTo(10);
    assertThat(fashion.get("classes").get(7).asString()).isEqualTo("Sneaker");
    assertThat(fashion.get("shape").toString()).isEqualTo("[1,28,28]");
    assertThat(fashion.get("dataset").asString()).isEqualTo("fashion-mnist");
    assertThat(models.get(8).get("classes").toString()).isEqualTo("[\"a\",\"b\",\"c\"]");
  }

  @Test
  void servesAModelTrainedElsewhereAndShowsTheConventionsItResolved() {
    JsonNode model = http.getJson("/v1/models/vp-cos-v");
    assertThat(Http.JSON.writeValueAsString(model)).isEqualTo("{\"id\":\"vp-cos-v\","
        + "\"kind\":\"diffusion\",\"process\":\"vp-discrete\",\"parameterization\":\"v\","
        + "\"shape\":[2],\"classes\":[],\"defaultSampler\":\"heun\",\"defaultSteps\":50,"
        + "\"dataset\":null,\"conventions\":{\"scheduler\":\"HeunDiscreteScheduler\","
        + "\"process\":\"vp-discrete\",\"schedule\":{\"betaSchedule\":\"squaredcos_cap_v2\","
        + "\"stepsOffset\":0,\"timestepSpacing\":\"linspace\",\"timesteps\":1000},"
        + "\"parameterization\":\"v\",\"timeInput\":{\"type\":\"t\",\"scale\":1.0},"
        + "\"defaultOptions\":{}}}");
    // diffusers' linspace spacing of 10 steps ends at timestep 0: 9 steps and the jump to x0.
    HttpResponse<byte[]> response = http.post("/v1/models/vp-cos-v/samples",
        "{\"n\":3,\"sampler\":\"ddim\",\"steps\":10,\"seed\":1}", "application/json");
    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode samples = Http.json(response);
    assertThat(samples.get("nfe").asInt()).isEqualTo(10);
    assertThat(samples.get("samples").size()).isEqualTo(3);
  }

  @Test
  void describesAnAnalyticModelWithItsTarget() {
    JsonNode flow = http.getJson("/v1/models/analytic-gmm-flow");
    assertThat(flow.get("kind").asString()).isEqualTo("flow");
    assertThat(flow.get("process").asString()).isEqualTo("linear");
    GaussianMixture mixture = GaussianMixture.standard2d();
    JsonNode target = flow.get("target");
    assertThat(target.get("weights").size()).isEqualTo(mixture.components());
    for (int k = 0; k < mixture.components(); k++) {
      assertThat(target.get("weights").get(k).asDouble()).isEqualTo(mixture.weights()[k]);
      assertThat(target.get("means").get(k).get(1).asDouble()).isEqualTo(mixture.means().get(k)[1]);
      assertThat(target.get("covariances").get(k).get(0).get(1).asDouble())
          .isEqualTo(mixture.covariances().get(k)[0][1]);
    }
    JsonNode vp = http.getJson("/v1/models/analytic-gmm-vp");
    assertThat(vp.get("process").asString()).isEqualTo("vp-linear");
    assertThat(vp.get("parameterization").asString()).isEqualTo("epsilon");
    assertThat(http.getJson("/v1/models/moons-flow").has("target")).isFalse();
  }

  @Test
  void listsEverySampler() {
    JsonNode samplers = http.getJson("/v1/samplers").get("samplers");
    List<SamplerSpec> specs = SamplerCatalog.specs();
    assertThat(samplers.size()).isEqualTo(specs.size());
    for (int i = 0; i < specs.size(); i++) {
      SamplerSpec spec = specs.get(i);
      JsonNode s = samplers.get(i);
      assertThat(s.get("id").asString()).isEqualTo(spec.id());
      assertThat(s.get("family").asString()).isEqualTo(spec.family());
      assertThat(s.get("order").asInt()).isEqualTo(spec.order());
      assertThat(s.get("stochastic").asBoolean()).isEqualTo(spec.stochastic());
      assertThat(s.get("adaptive").asBoolean()).isEqualTo(spec.adaptive());
      assertThat(s.get("invertible").asBoolean()).isEqualTo(spec.invertible());
      assertThat(s.get("likelihood").asBoolean()).isEqualTo(spec.likelihood());
      assertThat(s.get("evalsPerStep").asInt()).isEqualTo(spec.evalsPerStep());
      assertThat(s.get("options").size()).isEqualTo(spec.options().size());
      List<String> aliases = new ArrayList<>();
      s.get("aliases").forEach(a -> aliases.add(a.asString()));
      assertThat(aliases).isEqualTo(spec.aliases());
    }
  }

  @Test
  void samplesAsJsonReproduciblyFromTheSeed() {
    String body = "{\"n\":5,\"sampler\":\"dpmpp-2m\",\"steps\":12,\"seed\":7}";
    HttpResponse<byte[]> first = http.post(SAMPLES.formatted("gaussians8-diffusion"), body, null);
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode json = Http.json(first);
    assertThat(json.get("model").asString()).isEqualTo("gaussians8-diffusion");
    assertThat(json.get("sampler").asString()).isEqualTo("dpmpp-2m");
    assertThat(json.get("steps").asInt()).isEqualTo(12);
    // 12 steps and the final jump to x0 of a VP process.
    assertThat(json.get("nfe").asInt()).isEqualTo(13);
    assertThat(json.get("seed").asLong()).isEqualTo(7);
    assertThat(json.get("shape").toString()).isEqualTo("[2]");
    assertThat(json.get("samples").size()).isEqualTo(5);
    assertThat(json.get("samples").get(4).size()).isEqualTo(2);
    assertThat(json.get("elapsedMs").asLong()).isGreaterThanOrEqualTo(0);
    assertThat(json.has("trajectory")).isFalse();
    JsonNode again = Http.json(http.post(SAMPLES.formatted("gaussians8-diffusion"), body, null));
    assertThat(again.get("samples")).isEqualTo(json.get("samples"));
    // ComfyUI's name for the sampler runs it, and the answer names the sampler's own id.
    JsonNode aliased = Http.json(http.post(SAMPLES.formatted("gaussians8-diffusion"),
        body.replace("dpmpp-2m", "dpmpp_2m"), null));
    assertThat(aliased.get("sampler").asString()).isEqualTo("dpmpp-2m");
    assertThat(aliased.get("samples")).isEqualTo(json.get("samples"));
    // Sample i depends on seed + i only: the same seeds give the same samples in a smaller batch.
    JsonNode tail = Http.json(http.post(SAMPLES.formatted("gaussians8-diffusion"),
        "{\"n\":2,\"sampler\":\"dpmpp-2m\",\"steps\":12,\"seed\":10}", null));
    for (int c = 0; c < 2; c++) {
      assertThat(tail.get("samples").get(0).get(c).asDouble())
          .isCloseTo(json.get("samples").get(3).get(c).asDouble(), within(1e-5));
    }
  }

  @Test
  void usesTheModelsDefaultsAndDrawsASeed() {
    JsonNode json = Http.json(http.post(SAMPLES.formatted("moons-flow"), "{\"n\":1}", null));
    assertThat(json.get("sampler").asString()).isEqualTo("heun");
    assertThat(json.get("steps").asInt()).isEqualTo(32);
    assertThat(json.get("nfe").asInt()).isEqualTo(64);
    assertThat(json.get("seed").asLong()).isBetween(0L, 1L << 53);
  }

  @Test
  void returnsTheTrajectoryWhenAsked() {
    JsonNode json = Http.json(http.post(SAMPLES.formatted("moons-flow"),
        "{\"n\":3,\"sampler\":\"euler\",\"steps\":4,\"seed\":1,\"returnTrajectory\":true}", null));
    JsonNode frames = json.get("trajectory");
    assertThat(frames.size()).isEqualTo(5);
    assertThat(frames.get(0).get("times").get(0).asDouble()).isEqualTo(0.0);
    assertThat(frames.get(4).get("times").get(2).asDouble()).isEqualTo(1.0);
    assertThat(frames.get(4).get("samples")).isEqualTo(json.get("samples"));
    assertThat(frames.get(0).get("samples").get(2).size()).isEqualTo(2);
  }

  @Test
  void samplesAsNpyThatMatchesTheJson() {
    String body = "{\"n\":3,\"sampler\":\"euler\",\"steps\":6,\"seed\":3}";
    HttpResponse<byte[]> npy = http.post(SAMPLES.formatted("moons-flow"), body, "application/x-npy");
    assertThat(npy.statusCode()).isEqualTo(200);
    assertThat(npy.headers().firstValue("Content-Type")).hasValue("application/x-npy");
    ByteBuffer buffer = ByteBuffer.wrap(npy.body()).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[6];
    buffer.get(magic);
    assertThat(new String(magic, 1, 5, StandardCharsets.US_ASCII)).isEqualTo("NUMPY");
    assertThat(magic[0]).isEqualTo((byte) 0x93);
    assertThat(buffer.get()).isEqualTo((byte) 1);
    assertThat(buffer.get()).isEqualTo((byte) 0);
    int headerLength = buffer.getShort();
    assertThat((10 + headerLength) % 64).isZero();
    byte[] header = new byte[headerLength];
    buffer.get(header);
    assertThat(new String(header, StandardCharsets.US_ASCII).strip())
        .isEqualTo("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }");
    assertThat(buffer.remaining()).isEqualTo(3 * 2 * 4);
    JsonNode json = Http.json(http.post(SAMPLES.formatted("moons-flow"), body, null));
    for (int i = 0; i < 3; i++) {
      for (int c = 0; c < 2; c++) {
        assertThat(buffer.getFloat()).isEqualTo(json.get("samples").get(i).get(c).floatValue());
      }
    }
  }

  @Test
  void samplesImagesAsAPngGridOfTheSameValues() throws IOException {
    String body = "{\"n\":5,\"seed\":2,\"labels\":[0,1,2,0,1],\"guidance\":2.0}";
    HttpResponse<byte[]> png = http.post(SAMPLES.formatted("tiny-unet"), body, "image/png");
    assertThat(png.statusCode()).isEqualTo(200);
    assertThat(png.headers().firstValue("Content-Type")).hasValue("image/png");
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png.body()));
    // 5 images lay out on a 3-column grid of 2 rows, 2-pixel gaps around each.
    assertThat(image.getWidth()).isEqualTo(3 * 30 + 2);
    assertThat(image.getHeight()).isEqualTo(2 * 30 + 2);
    JsonNode json = Http.json(http.post(SAMPLES.formatted("tiny-unet"), body, null));
    assertThat(json.get("shape").toString()).isEqualTo("[1,28,28]");
    JsonNode fourth = json.get("samples").get(4).get(0);
    for (int[] p : new int[][] {{0, 0}, {13, 7}, {27, 27}}) {
      double value = fourth.get(p[0]).get(p[1]).asDouble();
      long expected = Math.round(Math.max(0, Math.min(1, (value + 1) / 2)) * 255);
      // Sample 4 sits in row 1, column 1.
      int gray = image.getRaster().getSample(2 + 30 + p[1], 2 + 30 + p[0], 0);
      assertThat((long) gray).isEqualTo(expected);
    }
    // The gaps are mid-gray: corners, between columns and between rows.
    for (int[] gap : new int[][] {{0, 0}, {31, 10}, {45, 30}, {91, 61}}) {
      assertThat(image.getRaster().getSample(gap[0], gap[1], 0)).as("gap at %s", gap[0])
          .isEqualTo(128);
    }
  }

  @Test
  void analyticFlowWithGivenLatentsMatchesTheExactOdeSolution() {
    int n = 16;
    SplittableRandom random = new SplittableRandom(11);
    double[][] latents = new double[n][2];
    float[] start = new float[2 * n];
    StringBuilder body = new StringBuilder("{\"n\":16,\"sampler\":\"rk4\",\"steps\":64,\"latents\":[");
    for (int i = 0; i < n; i++) {
      latents[i][0] = nextGaussian(random);
      latents[i][1] = nextGaussian(random);
      start[2 * i] = (float) latents[i][0];
      start[2 * i + 1] = (float) latents[i][1];
      body.append(i == 0 ? "" : ",").append('[').append(latents[i][0]).append(',')
          .append(latents[i][1]).append(']');
    }
    body.append("]}");
    JsonNode json = Http.json(http.post(SAMPLES.formatted("analytic-gmm-flow"), body.toString(),
        null));
    assertThat(json.get("nfe").asInt()).isEqualTo(256);
    GaussianMixtureModel exact = new GaussianMixtureModel(GaussianMixture.standard2d(),
        new NoiseProcess.LinearInterpolant(), Parameterization.VELOCITY);
    try (NDManager manager = NDManager.newBaseManager()) {
      SamplingJob reference = SamplingJob.of("dopri5", 1, n, 0)
          .withLatents(start).withDataType(DataType.FLOAT64)
          .withOptions(SamplerOptions.DEFAULT.with(RTOL, 1e-10).with(ATOL, 1e-10));
      double[] solution = SamplingLoop.sample(exact, reference, manager).samples().toDoubleArray();
      for (int i = 0; i < n; i++) {
        for (int c = 0; c < 2; c++) {
          assertThat(json.get("samples").get(i).get(c).asDouble())
              .isCloseTo(solution[2 * i + c], within(1e-3));
        }
      }
    }
  }

  private static double nextGaussian(SplittableRandom random) {
    double u = random.nextDouble();
    double v = random.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
  }

  /** The options' schema is made from their declarations: every one, typed and bounded. */
  @Test
  void describesTheSamplerOptionsAsDeclared() {
    JsonNode schemas = http.getJson("/v3/api-docs").get("components").get("schemas");
    assertThat(schemas.get("SampleRequest").get("properties").get("options").get("$ref")
        .asString()).isEqualTo("#/components/schemas/SamplerOptions");
    assertThat(schemas.get("SampleRequest").get("properties").get("output").get("enum")
        .toString()).isEqualTo("[\"decoded\",\"latent\"]");
    JsonNode properties = schemas.get("SamplerOptions").get("properties");
    assertThat(properties.propertyNames()).containsExactlyElementsOf(
        java.util.Arrays.stream(SamplerOption.values()).map(SamplerOption::id).toList());
    assertThat(properties.get("eta").get("type").asString()).isEqualTo("number");
    assertThat(properties.get("eta").get("minimum").asDouble()).isEqualTo(0);
    assertThat(properties.get("eta").get("description").asString())
        .isEqualTo(SamplerOption.ETA.description() + " (read by ddim, dpmpp-2m-sde,"
            + " euler-ancestral, dpm2-ancestral, dpmpp-2s-ancestral)");
    assertThat(properties.get("rtol").get("exclusiveMinimum").asDouble()).isEqualTo(0);
    assertThat(properties.get("maxNfe").get("type").asString()).isEqualTo("integer");
    assertThat(properties.get("maxNfe").get("minimum").asInt()).isEqualTo(1);
    assertThat(properties.get("threshold").get("exclusiveMaximum").asDouble()).isEqualTo(1);
    assertThat(properties.get("timeGrid").get("enum").toString())
        .isEqualTo("[\"uniform\",\"karras\",\"log-snr\",\"leading\",\"trailing\",\"linspace\","
            + "\"exponential\",\"polyexponential\",\"sgm-uniform\",\"simple\",\"ddim-uniform\","
            + "\"normal\",\"beta\",\"linear-quadratic\",\"kl-optimal\"]");
    assertThat(properties.get("clip").get("exclusiveMaximum").asDouble())
        .isEqualTo(Float.MAX_VALUE);
    assertThat(properties.get("batchErrorControl").get("type").asString()).isEqualTo("boolean");
  }

  @Test
  void servesOpenApiAndOnlyTheChosenActuatorEndpoints() {
    HttpResponse<byte[]> docs = http.get("/v3/api-docs");
    assertThat(docs.statusCode()).isEqualTo(200);
    JsonNode paths = Http.json(docs).get("paths");
    assertThat(paths.has("/v1/models")).isTrue();
    assertThat(paths.has("/v1/models/{id}/samples")).isTrue();
    assertThat(paths.has("/v1/samplers")).isTrue();
    assertThat(http.get("/swagger-ui/index.html").statusCode()).isEqualTo(200);
    assertThat(http.get("/actuator/health/liveness").statusCode()).isEqualTo(200);
    JsonNode info = http.getJson("/actuator/info").get("streamline");
    assertThat(info.get("batching").toString())
        .isEqualTo("{\"enabled\":true,\"maxBatchSize\":256,\"maxDelay\":\"PT0.002S\","
            + "\"workers\":" + Runtime.getRuntime().availableProcessors()
            + ",\"mergeWindow\":\"PT0.01S\"}");
    assertThat(info.get("threads").get("intraOp").asInt()).isEqualTo(1);
    assertThat(info.get("limits").get("queueCapacity").asInt()).isEqualTo(64);
    assertThat(http.get("/actuator/env").statusCode()).isEqualTo(404);
    assertThat(http.get("/actuator/beans").statusCode()).isEqualTo(404);
  }

  @Test
  void exportsTheServiceMetrics() {
    http.post(SAMPLES.formatted("checkerboard-ot-flow"),
        "{\"n\":4,\"sampler\":\"midpoint\",\"steps\":3,\"seed\":1}", null);
    String text = new String(http.get("/actuator/prometheus").body(), StandardCharsets.UTF_8);
    assertThat(text).contains(
        "streamline_requests_seconds_bucket{application=\"streamline\",endpoint=\"samples\","
            + "model=\"checkerboard-ot-flow\",outcome=\"ok\",sampler=\"midpoint\"",
        "streamline_samples_total{application=\"streamline\",endpoint=\"samples\","
            + "model=\"checkerboard-ot-flow\",sampler=\"midpoint\"}",
        "streamline_nfe_total{application=\"streamline\",endpoint=\"samples\","
            + "model=\"checkerboard-ot-flow\",sampler=\"midpoint\"}",
        "streamline_forward_batch_size_count{application=\"streamline\",model=\"checkerboard-ot-flow\"}",
        "streamline_forward_duration_seconds_count{application=\"streamline\","
            + "model=\"checkerboard-ot-flow\"}",
        "streamline_queue_wait_seconds_count{application=\"streamline\",model=\"checkerboard-ot-flow\"}",
        "streamline_queue_depth{application=\"streamline\",model=\"checkerboard-ot-flow\"} 0.0",
        "jvm_memory_used_bytes");
    double samples = http.metric("streamline_samples_total{application=\"streamline\","
        + "endpoint=\"samples\",model=\"checkerboard-ot-flow\",sampler=\"midpoint\"}");
    double nfe = http.metric("streamline_nfe_total{application=\"streamline\","
        + "endpoint=\"samples\",model=\"checkerboard-ot-flow\",sampler=\"midpoint\"}");
    assertThat(nfe / samples).isEqualTo(6.0 / 4.0);
  }
}
