package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.streamline.models.store.ModelManifest;
import dev.streamline.models.store.ModelStore;
import dev.streamline.models.store.ProcessSpec;
import dev.streamline.sampler.NoiseProcess;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.util.FileSystemUtils;
import tools.jackson.databind.JsonNode;

/**
 * Models added, removed and replaced while the service runs ({@code model-poll-interval}), and
 * versions of one model served side by side. Each test has model ids of its own, so they hold in
 * any order on the one running service.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "streamline.model-dirs=" + ModelReloadTest.MODELS, "streamline.model-poll-interval=100ms",
    "streamline.bundled-models=false", "streamline.analytic-models=false",
    "streamline.limits.request-timeout=300s"})
@Import(ModelReloadTest.Fixtures.class)
class ModelReloadTest extends HttpTest {

  static final String MODELS = "target/reload-models";
  private static final Path ROOT = Path.of(MODELS);
  private static final String BODY = "{\"n\":3,\"sampler\":\"heun\",\"steps\":4,\"seed\":5}";

  /** The models there at start; beans exist before the registry starts loading. */
  @TestConfiguration
  static class Fixtures {
    @Bean
    Path reloadModels() {
      FileSystemUtils.deleteRecursively(ROOT.toFile());
      write("leaving", null, 1, 64, ROOT.resolve("leaving"));
      write("swapped", null, 1, 32, ROOT.resolve("swapped"));
      write("sturdy", null, 1, 32, ROOT.resolve("sturdy"));
      write("multi", "1.9", 1, 32, ROOT.resolve("multi-old"));
      write("multi", "1.10", 2, 32, ROOT.resolve("multi-new"));
      return ROOT;
    }
  }

  /**
   * An untrained 2-d flow whose weights are drawn from the seed, written as ModelStore does
   * (a hidden sibling renamed into place, replacing what was there).
   */
  static void write(String id, String version, int seed, int hidden, Path directory) {
    ModelManifest manifest = new ModelManifest(id, version, "flow",
        ProcessSpec.of(new NoiseProcess.LinearInterpolant()), "velocity",
        new ModelManifest.Architecture("mlp", ModelStore.NETWORK_WEIGHTS,
            Map.of("hidden", hidden, "depth", 2, "timeFeatures", 8)),
        List.of(2), null, List.of(), "heun", 4, null, null, null, null, null, null, null, null,
        null);
    Block network = ModelStore.newNetwork(manifest);
    try (NDManager manager = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(seed);
      network.initialize(manager, DataType.FLOAT32, new Shape(1, 2), new Shape(1),
          new Shape(1));
      ModelStore.save(directory, manifest, network);
    }
  }

  private static ConditionFactory eventually() {
    return await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50));
  }

  private HttpResponse<byte[]> sample(String path, String body) {
    return http.post(path, body, null);
  }

  private JsonNode samples(String path) {
    HttpResponse<byte[]> response = sample(path, BODY);
    assertThat(response.statusCode()).as("%s: %s", path, new String(response.body()))
        .isEqualTo(200);
    return Http.json(response).get("samples");
  }

  private double counted(String meter, String id) {
    return http.metric(meter + "{application=\"streamline\",model=\"" + id + "\"}");
  }

  private static Set<String> batcherThreads(String id) {
    return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
        .filter(name -> name.matches("(forward|trace|decoder)-" + id + "-\\d+"))
        .collect(Collectors.toSet());
  }

  @Test
  void aDirectoryAddedWhileServingIsServedAfterItsWarmUp() {
    assertThat(http.get("/v1/models/added").statusCode()).isEqualTo(404);
    write("added", null, 4, 32, ROOT.resolve("added"));
    eventually().until(() -> http.get("/v1/models/added").statusCode() == 200);
    assertThat(samples("/v1/models/added/samples")).hasSize(3);
    assertThat(counted("streamline_model_loads_total", "added")).isEqualTo(1);
    assertThat(http.getJson("/v1/models").get("models").findValuesAsString("id"))
        .contains("added", "leaving", "multi");
  }

  @Test
  void aRemovedModelFinishesItsRequestsInFlightAndGoes() throws Exception {
    // Not mergeable (over max-batch-size rows), 16,000 passes of a wider network: in flight for
    // seconds.
    CompletableFuture<HttpResponse<byte[]>> inFlight = CompletableFuture.supplyAsync(() ->
        sample("/v1/models/leaving/samples", "{\"n\":1024,\"sampler\":\"rk4\",\"steps\":1000}"));
    eventually().until(() -> counted("streamline_queue_depth", "leaving") == 1);
    FileSystemUtils.deleteRecursively(ROOT.resolve("leaving"));
    eventually().until(() -> http.get("/v1/models/leaving").statusCode() == 404);
    assertThat(inFlight).isNotDone();
    // Let go of by the registry, and still open for the request that holds it.
    assertThat(batcherThreads("leaving")).contains("forward-leaving-1");
    HttpResponse<byte[]> after = sample("/v1/models/leaving/samples", BODY);
    assertThat(after.statusCode()).isEqualTo(404);
    assertThat(Http.json(after).get("detail").asString()).startsWith("no model 'leaving';");

    HttpResponse<byte[]> finished = inFlight.get();
    assertThat(finished.statusCode()).isEqualTo(200);
    assertThat(Http.json(finished).get("samples")).hasSize(1024);
    eventually().until(() -> batcherThreads("leaving").isEmpty());
    assertThat(counted("streamline_model_unloads_total", "leaving")).isEqualTo(1);
    assertThat(counted("streamline_queue_depth", "leaving")).isZero();
  }

  @Test
  void aReplacedModelSwitchesBetweenRequestsAndNoRequestFails() throws Exception {
    JsonNode before = samples("/v1/models/swapped/samples");
    ConcurrentLinkedQueue<HttpResponse<byte[]>> answers = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService clients = Executors.newFixedThreadPool(8);
    for (int i = 0; i < 8; i++) {
      clients.submit(() -> {
        while (!stop.get()) {
          answers.add(sample("/v1/models/swapped/samples", BODY));
        }
      });
    }
    eventually().until(() -> answers.size() >= 16);
    write("swapped", null, 2, 32, ROOT.resolve("swapped"));
    eventually().until(() -> !samples("/v1/models/swapped/samples").equals(before));
    int switched = answers.size();
    eventually().until(() -> answers.size() >= switched + 32);
    stop.set(true);
    clients.shutdown();
    assertThat(clients.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

    JsonNode after = samples("/v1/models/swapped/samples");
    assertThat(answers).allSatisfy(answer -> assertThat(answer.statusCode())
        .as(new String(answer.body())).isEqualTo(200));
    // Each answer is wholly the old model's or wholly the new one's.
    List<JsonNode> seen = answers.stream().map(a -> Http.json(a).get("samples")).toList();
    assertThat(seen).allMatch(s -> s.equals(before) || s.equals(after));
    assertThat(seen).contains(before, after);
    assertThat(counted("streamline_model_reloads_total", "swapped")).isEqualTo(1);
  }

  @Test
  void aBrokenReplacementKeepsTheOldFilesServingAndSaysWhy() throws IOException {
    JsonNode before = samples("/v1/models/sturdy/samples");
    Path weights = ROOT.resolve("sturdy").resolve(ModelStore.NETWORK_WEIGHTS);
    Files.write(weights, new byte[] {1, 2, 3});
    eventually().until(() -> models().path("details").path("reloadFailed").has("sturdy"));
    assertThat(models().get("details").get("reloadFailed").get("sturdy").asString())
        .startsWith(ModelStore.NETWORK_WEIGHTS + ": does not hold the weights model.json"
            + " describes");
    assertThat(models().get("status").asString()).isEqualTo("UP");
    assertThat(samples("/v1/models/sturdy/samples")).isEqualTo(before);
    assertThat(counted("streamline_model_load_failures_total", "sturdy")).isEqualTo(1);

    write("sturdy", null, 3, 32, ROOT.resolve("sturdy"));
    eventually().until(() -> !samples("/v1/models/sturdy/samples").equals(before));
    assertThat(models().path("details").path("reloadFailed").has("sturdy")).isFalse();
  }

  @Test
  void aBrokenNewDirectoryIsReportedUntilItIsFixedOrGone() throws IOException {
    Path late = ROOT.resolve("late");
    Files.createDirectories(late);
    // Its model.json is cut short: no id to report it by, so its reason alone, path cut.
    Files.writeString(late.resolve(ModelStore.MANIFEST), "{\"id\": \"late\", \"kind\": ");
    eventually().until(() -> models().path("details").has("failedWithoutId"));
    assertThat(models().get("details").get("failedWithoutId")).singleElement()
        .satisfies(reason -> assertThat(reason.asString()).startsWith("model.json: not valid JSON"));
    assertThat(sample("/v1/models/late/samples", BODY).statusCode()).isEqualTo(404);

    write("late", null, 5, 32, late);
    eventually().until(() -> http.get("/v1/models/late").statusCode() == 200);
    assertThat(models().path("details").has("failedWithoutId")).isFalse();
    assertThat(samples("/v1/models/late/samples")).hasSize(3);

    FileSystemUtils.deleteRecursively(late);
    eventually().until(() -> http.get("/v1/models/late").statusCode() == 404);
    assertThat(models().path("details").has("failedWithoutId")).isFalse();
    assertThat(counted("streamline_model_load_failures_total", "unidentified")).isEqualTo(1);
  }

  private JsonNode models() {
    return http.getJson("/actuator/health/readiness").get("components").get("models");
  }

  @Test
  void theNewestVersionAnswersForTheIdAndEachVersionByItsPath() {
    JsonNode model = http.getJson("/v1/models/multi");
    assertThat(model.get("version").asString()).isEqualTo("1.10");
    assertThat(model.get("versions").toString()).isEqualTo("[\"1.9\",\"1.10\"]");
    assertThat(http.getJson("/v1/models/multi/versions/1.9").get("version").asString())
        .isEqualTo("1.9");
    JsonNode listed = null;
    for (JsonNode entry : http.getJson("/v1/models").get("models")) {
      if (entry.get("id").asString().equals("multi")) {
        assertThat(listed).as("one entry per id").isNull();
        listed = entry;
      }
    }
    assertThat(listed.get("version").asString()).isEqualTo("1.10");
    assertThat(listed.get("versions").toString()).isEqualTo("[\"1.9\",\"1.10\"]");
    assertThat(http.getJson("/v1/models/sturdy").has("versions")).isFalse();

    JsonNode newest = samples("/v1/models/multi/samples");
    assertThat(Http.json(sample("/v1/models/multi/samples", BODY)).get("version").asString())
        .isEqualTo("1.10");
    assertThat(Http.json(sample("/v1/models/multi/versions/1.9/samples", BODY)).get("version")
        .asString()).isEqualTo("1.9");
    assertThat(Http.json(sample("/v1/models/sturdy/samples", BODY)).has("version")).isFalse();
    assertThat(samples("/v1/models/multi/versions/1.10/samples")).isEqualTo(newest);
    assertThat(samples("/v1/models/multi/versions/1.9/samples")).isNotEqualTo(newest);
    String likelihood = "{\"samples\": [[0.5, -0.5]], \"sampler\": \"rk4\", \"steps\": 4}";
    JsonNode scored = Http.json(http.post("/v1/models/multi/likelihood", likelihood, null));
    assertThat(scored.get("version").asString()).isEqualTo("1.10");
    double newestLogP = scored.get("logLikelihood").get(0).asDouble();
    assertThat(Http.json(http.post("/v1/models/multi/versions/1.10/likelihood", likelihood,
        null)).get("logLikelihood").get(0).asDouble()).isEqualTo(newestLogP);
    assertThat(Http.json(http.post("/v1/models/multi/versions/1.9/likelihood", likelihood,
        null)).get("logLikelihood").get(0).asDouble()).isNotEqualTo(newestLogP);
    HttpResponse<byte[]> encoded = http.post("/v1/models/multi/versions/1.9/encode", likelihood,
        null);
    assertThat(encoded.statusCode()).isEqualTo(200);
    assertThat(Http.json(encoded).get("version").asString()).isEqualTo("1.9");

    assertNotFound("/v1/models/multi/versions/2/samples", BODY,
        "model 'multi' has no version '2'; served versions: [1.9, 1.10]");
    assertNotFound("/v1/models/sturdy/versions/1/likelihood", likelihood,
        "model 'sturdy' has no version '1'; it is served without a version");
    HttpResponse<byte[]> unknown = http.get("/v1/models/multi/versions/0.1");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(Http.json(unknown).get("detail").asString())
        .isEqualTo("model 'multi' has no version '0.1'; served versions: [1.9, 1.10]");
    assertThat(Http.json(sample("/v1/models/nothing/versions/1/samples", BODY)).get("detail")
        .asString()).startsWith("no model 'nothing'; served: [");
  }

  @Test
  void theOpenApiDescriptionHasEachPathWithItsOwnParameters() {
    JsonNode paths = http.getJson("/v3/api-docs").get("paths");
    for (String endpoint : List.of("samples", "likelihood", "encode")) {
      assertThat(paths.get("/v1/models/{id}/" + endpoint).get("post").get("parameters")
          .findValuesAsString("name")).as(endpoint).doesNotContain("version").contains("id");
      assertThat(paths.get("/v1/models/{id}/versions/{version}/" + endpoint).get("post")
          .get("parameters").findValuesAsString("name")).as(endpoint).contains("id", "version");
    }
    assertThat(paths.get("/v1/models/{id}").get("get").get("parameters")
        .findValuesAsString("name")).containsExactly("id");
  }

  private void assertNotFound(String path, String body, String detail) {
    HttpResponse<byte[]> response = sample(path, body);
    assertThat(response.statusCode()).isEqualTo(404);
    JsonNode problem = Http.json(response);
    assertThat(problem.get("detail").asString()).isEqualTo(detail);
    assertThat(response.headers().firstValue("Content-Type")).hasValue(
        "application/problem+json");
  }
}
