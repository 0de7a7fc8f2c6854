package dev.streamline.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.exception.NotFoundException;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Probe;
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
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.containers.wait.strategy.WaitAllStrategy;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * Builds the image from docker/Dockerfile (target {@code prebuilt}, around the jar this build
 * made), runs it the way the chart does (read-only root, writable /tmp, a memory limit) and
 * talks to it over HTTP.
 */
@Testcontainers(disabledWithoutDocker = true)
class DockerImageTest {

  private static final Path ROOT = Chart.root();
  private static final Path JAR = ROOT.resolve("service/target/streamline.jar");
  /** The base image docker/offline-base.sh builds from Debian packages (see .ci/run). */
  private static final String OFFLINE_BASE = "streamline-base-jre:17";
  private static final String IMAGE = "streamline-image-test:latest";
  private static final long MEMORY_LIMIT = 3L << 30;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(10)).build();

  private static GenericContainer<?> service;

  @BeforeAll
  static void startImage() {
    service = new GenericContainer<>(image())
        .withExposedPorts(HelmChartTest.SERVER_PORT)
        .withTmpFs(Map.of("/tmp", "rw,size=512m"))
        .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
            .withReadonlyRootfs(true)
            .withMemory(MEMORY_LIMIT))
        .waitingFor(new WaitAllStrategy()
            .withStrategy(Wait.forHttp(HelmChartTest.READINESS).forStatusCode(200))
            .withStrategy(Wait.forHealthcheck())
            .withStartupTimeout(Duration.ofMinutes(5)));
    service.start();
  }

  /** Each build leaves a new image of ~1 GB; removing it removes its untagged layers too. */
  @AfterAll
  static void removeImage() {
    if (service != null) {
      service.stop();
    }
    try {
      DockerClientFactory.instance().client().removeImageCmd(IMAGE).exec();
    } catch (NotFoundException e) {
      // The build failed before tagging anything.
    }
  }

  // withDockerfile(Path), the successor of withDockerfilePath, pre-pulls every image its parser
  // finds in a FROM line, stage names included, which no registry here can answer.
  @SuppressWarnings("deprecation")
  private static ImageFromDockerfile image() {
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException(JAR + " is missing: build the service first"
          + " (./mvnw -B package -pl service -am -DskipTests)");
    }
    ImageFromDockerfile image = new ImageFromDockerfile(IMAGE, false)
        .withDockerfilePath("docker/Dockerfile")
        .withTarget("prebuilt");
    for (String file : new String[] {"docker/Dockerfile", "docker/unpack-natives.sh",
        "docker/healthcheck.sh", "service/target/streamline.jar"}) {
      image.withFileFromPath(file, ROOT.resolve(file));
    }
    jreImage().ifPresent(base -> image.withBuildArg("JRE_IMAGE", base));
    return image;
  }

  /**
   * STREAMLINE_JRE_IMAGE if set, else the offline base where it exists; otherwise the
   * Dockerfile's own default, pulled from its registry.
   */
  private static Optional<String> jreImage() {
    String configured = System.getenv("STREAMLINE_JRE_IMAGE");
    if (configured != null && !configured.isBlank()) {
      return Optional.of(configured);
    }
    try {
      DockerClientFactory.instance().client().inspectImageCmd(OFFLINE_BASE).exec();
      return Optional.of(OFFLINE_BASE);
    } catch (NotFoundException e) {
      return Optional.empty();
    }
  }

  @Test
  void runsAsTheUnprivilegedUserOnAReadOnlyRoot() throws Exception {
    assertThat(service.execInContainer("id", "-u").getStdout().strip()).isEqualTo("10001");
    // The service itself, PID 1: real, effective, saved and filesystem uid.
    ExecResult status = service.execInContainer("grep", "^Uid:", "/proc/1/status");
    assertThat(status.getStdout().strip().split("\\s+")).containsExactly(
        "Uid:", "10001", "10001", "10001", "10001");
    ExecResult write = service.execInContainer("touch", "/opt/streamline/probe");
    assertThat(write.getExitCode()).isNotZero();
    assertThat(write.getStderr()).contains("Read-only file system");
    assertThat(service.execInContainer("touch", "/tmp/probe").getExitCode()).isZero();
  }

  @Test
  void heapIsSizedFromTheContainerMemoryLimit() throws Exception {
    String flags = service.execInContainer("java", "-XX:+PrintFlagsFinal", "-version").getStdout();
    Matcher heap = Pattern.compile("MaxHeapSize\\s*=\\s*(\\d+)").matcher(flags);
    assertThat(heap.find()).as(flags).isTrue();
    // MaxRAMPercentage=50 of the 3 GiB limit, not a share of the host's memory.
    assertThat(Long.parseLong(heap.group(1))).isEqualTo(MEMORY_LIMIT / 2);
  }

  @Test
  void healthcheckReportsHealthy() {
    assertThat(service.getCurrentContainerInfo().getState().getHealth().getStatus())
        .isEqualTo("healthy");
  }

  @Test
  void chartProbesAnswerOnTheImage() throws Exception {
    Container container = Chart.render().container();
    assertThat(container.getPorts().get(0).getContainerPort())
        .isEqualTo(HelmChartTest.SERVER_PORT);
    for (Probe probe : List.of(container.getStartupProbe(), container.getLivenessProbe(),
        container.getReadinessProbe())) {
      HttpResponse<String> response = get(probe.getHttpGet().getPath());
      assertThat(response.statusCode()).as(probe.getHttpGet().getPath()).isEqualTo(200);
      assertThat(JSON.readTree(response.body()).path("status").asText()).isEqualTo("UP");
    }
  }

  @Test
  void drawsSeededSamplesOverHttp() throws Exception {
    String body = "{\"n\":16,\"sampler\":\"euler\",\"steps\":10,\"seed\":42}";
    JsonNode first = sample("moons-flow", body);
    assertThat(first.path("model").asText()).isEqualTo("moons-flow");
    assertThat(first.path("nfe").asInt()).isEqualTo(10);
    assertThat(first.path("shape").toString()).isEqualTo("[2]");
    JsonNode samples = first.path("samples");
    assertThat(samples.size()).isEqualTo(16);
    for (JsonNode point : samples) {
      assertThat(point.size()).isEqualTo(2);
      for (JsonNode coordinate : point) {
        // Two moons live within a few units of the origin.
        assertThat(Math.abs(coordinate.asDouble())).isLessThan(5.0);
      }
    }
    assertThat(sample("moons-flow", body).path("samples")).isEqualTo(samples);
  }

  @Test
  void unknownModelIsAProblemNotAStackTrace() throws Exception {
    HttpResponse<String> response = post("/v1/models/no-such-model/samples", "{\"n\":1}");
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("application/problem+json"));
    assertThat(JSON.readTree(response.body()).path("detail").asText()).contains("moons-flow");
  }

  @Test
  void prometheusServesEveryMetricTheDashboardQueries() throws Exception {
    sample("moons-flow", "{\"n\":32,\"sampler\":\"heun\",\"steps\":4,\"seed\":1}");
    // Rejection counters appear with the first rejection.
    assertThat(post("/v1/models/no-such-model/samples", "{\"n\":1}").statusCode())
        .isEqualTo(404);
    HttpResponse<String> response = get(HelmChartTest.PROMETHEUS);
    assertThat(response.statusCode()).isEqualTo(200);
    String scrape = response.body();
    Set<String> served = new TreeSet<>();
    scrape.lines().filter(line -> !line.startsWith("#"))
        .map(line -> line.split("[{ ]", 2)[0]).forEach(served::add);
    Set<String> expected = new TreeSet<>(ComposeFilesTest.dashboardMetrics());
    // Registered with the first failed sampling run, which a healthy service has not had.
    expected.remove("streamline_failures_total");
    assertThat(expected).isNotEmpty();
    assertThat(served).containsAll(expected);
    Matcher samples = Pattern.compile("(?m)^streamline_samples_total\\{"
        + "[^}]*model=\"moons-flow\"[^}]*sampler=\"heun\"[^}]*} (\\S+)$").matcher(scrape);
    assertThat(samples.find()).as(scrape).isTrue();
    assertThat(Double.parseDouble(samples.group(1))).isGreaterThanOrEqualTo(32.0);
  }

  private static JsonNode sample(String model, String body) throws IOException,
      InterruptedException {
    HttpResponse<String> response = post("/v1/models/" + model + "/samples", body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  private static HttpResponse<String> post(String path, String body) throws IOException,
      InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(uri(path))
        .header("Content-Type", "application/json").header("Accept", "application/json")
        .timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(String path) {
    return URI.create("http://" + service.getHost() + ":"
        + service.getMappedPort(HelmChartTest.SERVER_PORT) + path);
  }
}
