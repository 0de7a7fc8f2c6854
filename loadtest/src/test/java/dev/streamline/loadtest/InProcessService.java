package dev.streamline.loadtest;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.streamline.models.data.FashionMnist;
import dev.streamline.models.store.ModelManifest;
import dev.streamline.models.store.ModelStore;
import dev.streamline.models.store.ProcessSpec;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.service.StreamlineApplication;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.builder.SpringApplicationBuilder;

/**
 * The Streamline service started in this JVM on a free port, once for all test classes (the JVM's
 * end stops it): libtorch and the models load once, which is most of the start-up time. Besides
 * the bundled and analytic models it serves {@value #IMAGE_MODEL}, an untrained class-conditional
 * U-Net that claims Fashion-MNIST as its data, so that the image path runs end to end in seconds.
 */
final class InProcessService {

  static final String IMAGE_MODEL = "tiny-fashion-unet";

  private static String url;

  private InProcessService() {}

  static synchronized String url() {
    if (url == null) {
      // Writing the fixture starts libtorch, which reads its thread counts once: give it the
      // service's defaults, which the service would otherwise have set when it starts it.
      System.setProperty("ai.djl.pytorch.num_threads", "1");
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
      Path models;
      try {
        models = Files.createTempDirectory("loadtest-models");
        writeImageModel(models.resolve(IMAGE_MODEL));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      // In a reactor build models/target/models.jar is on the class path, and its manifest
      // brings slf4j-simple along; Spring Boot's Logback setup would refuse to start beside it.
      // The tests' logging is configured by whichever SLF4J provider wins (logback-test.xml, or
      // the simple logger's properties in the parent POM).
      System.setProperty("org.springframework.boot.logging.LoggingSystem", "none");
      var context = new SpringApplicationBuilder(StreamlineApplication.class)
          .run("--server.port=0", "--streamline.model-dirs=" + models,
              "--spring.main.banner-mode=off");
      url = "http://localhost:" + context.getEnvironment().getProperty("local.server.port");
      awaitReady(url);
    }
    return url;
  }

  private static void writeImageModel(Path directory) {
    ModelManifest manifest = new ModelManifest(IMAGE_MODEL, "flow",
        ProcessSpec.of(new NoiseProcess.LinearInterpolant()), "velocity",
        new ModelManifest.Architecture("unet", ModelStore.NETWORK_WEIGHTS,
            Map.of("baseChannels", 8)),
        List.of(1, 28, 28), null, FashionMnist.CLASS_NAMES, "euler", 4,
        new ModelManifest.TrainingSummary("fashion-mnist", "cfm", 0, 0, 0, 0, 0, "none",
            "untrained test fixture", null));
    Block network = ModelStore.newNetwork(manifest);
    try (NDManager manager = NDManager.newBaseManager()) {
      network.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 28, 28), new Shape(1),
          new Shape(1));
      ModelStore.save(directory, manifest, network);
    }
  }

  /** Readiness turns UP once every model has loaded and sampled once. */
  private static void awaitReady(String base) {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/actuator/health/readiness"))
        .timeout(Duration.ofSeconds(10)).build();
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
        Thread.sleep(200);
      } catch (IOException e) {
        // Not listening yet.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("the in-process service did not become ready in 3 minutes");
  }
}
