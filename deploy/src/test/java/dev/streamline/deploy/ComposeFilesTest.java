package dev.streamline.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docker/compose.yaml, its Prometheus configuration and the provisioned Grafana dashboard. */
class ComposeFilesTest {

  private static final Path DOCKER = Chart.root().resolve("docker");
  private static final ObjectMapper YAML = new YAMLMapper();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern METRIC = Pattern.compile("\\bstreamline_[a-z_]+");
  /** The Prometheus series the service exports (issue #4's contract). */
  static final Set<String> SERVICE_METRICS = Set.of(
      "streamline_requests_seconds_bucket", "streamline_requests_seconds_count",
      "streamline_requests_seconds_sum", "streamline_samples_total", "streamline_nfe_total",
      "streamline_forward_batch_size_bucket", "streamline_forward_batch_size_count",
      "streamline_forward_batch_size_sum", "streamline_queue_wait_seconds_count",
      "streamline_queue_wait_seconds_sum", "streamline_queue_depth",
      "streamline_rejections_total", "streamline_failures_total",
      "streamline_run_requests_sum", "streamline_run_requests_count");

  /** Every streamline_ series the dashboard's queries and variables name. */
  static Set<String> dashboardMetrics() {
    Set<String> metrics = new TreeSet<>();
    Matcher matcher = METRIC.matcher(String.join("\n", queries(dashboard())));
    while (matcher.find()) {
      metrics.add(matcher.group());
    }
    return metrics;
  }

  @Test
  void dashboardHasThePanelsOperatorsAskFor() {
    List<String> titles = new ArrayList<>();
    dashboard().path("panels").forEach(panel -> titles.add(panel.path("title").asText()));
    assertThat(titles).contains("Request rate", "Latency p50 / p99", "Samples / s", "NFE / s",
        "Forward batch size", "Queue depth", "Requests per sampling run");
    assertThat(String.join("\n", queries(dashboard())))
        .contains("histogram_quantile(0.5, ").contains("histogram_quantile(0.99, ");
  }

  @Test
  void dashboardQueriesOnlySeriesTheServiceExports() {
    assertThat(dashboardMetrics()).isNotEmpty().isSubsetOf(SERVICE_METRICS)
        .contains("streamline_requests_seconds_bucket", "streamline_samples_total",
            "streamline_nfe_total", "streamline_forward_batch_size_sum",
            "streamline_forward_batch_size_count", "streamline_queue_depth");
  }

  @Test
  void dashboardUsesTheProvisionedDatasource() throws IOException {
    JsonNode datasource = YAML.readTree(DOCKER.resolve(
        "grafana/provisioning/datasources/prometheus.yaml").toFile()).path("datasources").get(0);
    List<String> uids = new ArrayList<>();
    dashboard().path("panels").forEach(panel -> {
      uids.add(panel.path("datasource").path("uid").asText());
      panel.path("targets").forEach(t -> uids.add(t.path("datasource").path("uid").asText()));
    });
    assertThat(uids).isNotEmpty().containsOnly(datasource.path("uid").asText());
  }

  @Test
  void prometheusScrapesTheServiceWhereComposeRunsIt() throws IOException {
    JsonNode compose = compose();
    JsonNode job = YAML.readTree(DOCKER.resolve("prometheus/prometheus.yml").toFile())
        .path("scrape_configs").get(0);
    assertThat(job.path("metrics_path").asText()).isEqualTo(HelmChartTest.PROMETHEUS);
    String target = job.path("static_configs").get(0).path("targets").get(0).asText();
    assertThat(target).isEqualTo("streamline:" + HelmChartTest.SERVER_PORT);
    assertThat(compose.path("services").path("streamline").path("ports").get(0).asText())
        .endsWith(":" + HelmChartTest.SERVER_PORT);
    assertThat(mountedFrom(compose, "prometheus", "/etc/prometheus/prometheus.yml"))
        .isEqualTo(DOCKER.resolve("prometheus/prometheus.yml"));
  }

  @Test
  void grafanaReadsTheProvisioningAndDashboardDirectories() throws IOException {
    JsonNode compose = compose();
    JsonNode datasource = YAML.readTree(DOCKER.resolve(
        "grafana/provisioning/datasources/prometheus.yaml").toFile()).path("datasources").get(0);
    assertThat(datasource.path("url").asText()).isEqualTo("http://prometheus:9090");
    assertThat(compose.path("services").path("prometheus").path("ports").get(0).asText())
        .endsWith(":9090");
    String dashboards = YAML.readTree(DOCKER.resolve(
            "grafana/provisioning/dashboards/streamline.yaml").toFile())
        .path("providers").get(0).path("options").path("path").asText();
    assertThat(Files.isRegularFile(mountedFrom(compose, "grafana", dashboards)
        .resolve("streamline.json"))).isTrue();
    assertThat(mountedFrom(compose, "grafana", "/etc/grafana/provisioning"))
        .isEqualTo(DOCKER.resolve("grafana/provisioning"));
  }

  @Test
  void composeRunsTheServiceAsTheChartDoes() {
    JsonNode service = compose().path("services").path("streamline");
    assertThat(service.path("read_only").asBoolean()).isTrue();
    assertThat(service.path("tmpfs").get(0).asText()).startsWith("/tmp");
    Path context = DOCKER.resolve(service.path("build").path("context").asText()).normalize();
    assertThat(context).isEqualTo(Chart.root());
    assertThat(context.resolve(service.path("build").path("dockerfile").asText()))
        .isRegularFile();
  }

  /** Dockerfile.cuda fetches libtorch and unpacks DJL's JNI jar by version; no CI builds it. */
  @Test
  void cudaImageFetchesTheLibtorchAndDjlVersionsTheBuildUses() throws IOException {
    String pom = Files.readString(Chart.root().resolve("pom.xml"));
    String dockerfile = Files.readString(DOCKER.resolve("Dockerfile.cuda"));
    for (String[] pair : new String[][] {{"libtorch.version", "PYTORCH_VERSION"},
        {"djl.version", "DJL_VERSION"}}) {
      Matcher property = Pattern.compile("<" + Pattern.quote(pair[0]) + ">([^<]+)<").matcher(pom);
      assertThat(property.find()).as(pair[0]).isTrue();
      Matcher args = Pattern.compile("(?m)^ARG " + pair[1] + "=(\\S+)$").matcher(dockerfile);
      List<String> values = new ArrayList<>();
      while (args.find()) {
        values.add(args.group(1));
      }
      assertThat(values).as(pair[1]).isNotEmpty().containsOnly(property.group(1));
    }
  }

  /** The host path compose mounts at this container path of this service. */
  private static Path mountedFrom(JsonNode compose, String service, String containerPath) {
    for (JsonNode volume : compose.path("services").path(service).path("volumes")) {
      String[] parts = volume.asText().split(":");
      if (parts[1].equals(containerPath)) {
        return DOCKER.resolve(parts[0]).normalize();
      }
    }
    throw new AssertionError(service + " mounts nothing at " + containerPath);
  }

  private static List<String> queries(JsonNode dashboard) {
    List<String> queries = new ArrayList<>();
    dashboard.path("panels").forEach(panel ->
        panel.path("targets").forEach(target -> queries.add(target.path("expr").asText())));
    dashboard.path("templating").path("list").forEach(variable ->
        queries.add(variable.path("definition").asText()));
    return queries;
  }

  private static JsonNode dashboard() {
    return read(JSON, DOCKER.resolve("grafana/dashboards/streamline.json"));
  }

  private static JsonNode compose() {
    return read(YAML, DOCKER.resolve("compose.yaml"));
  }

  private static JsonNode read(ObjectMapper mapper, Path file) {
    try {
      return mapper.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
