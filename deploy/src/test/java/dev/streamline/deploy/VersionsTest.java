package dev.streamline.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The release version is written in the POM, the chart and the compose file; a release that
 * bumps one and not the others would deploy an image that was never built.
 */
class VersionsTest {

  /** The POM's version as images and charts are tagged: without -SNAPSHOT. */
  private static final String RELEASE =
      System.getProperty("streamline.version").replaceFirst("-SNAPSHOT$", "");
  private static final YAMLMapper YAML = new YAMLMapper();

  @Test
  void theChartIsVersionedAsThePom() throws IOException {
    JsonNode chart = YAML.readTree(Chart.root().resolve("helm/streamline/Chart.yaml").toFile());
    assertThat(chart.path("version").asText()).isEqualTo(RELEASE);
    assertThat(chart.path("appVersion").asText()).isEqualTo(RELEASE);
  }

  @Test
  void composeRunsTheImageOfThePomsVersion() throws IOException {
    JsonNode compose = YAML.readTree(Chart.root().resolve("docker/compose.yaml").toFile());
    assertThat(compose.path("services").path("streamline").path("image").asText())
        .isEqualTo("streamline:" + RELEASE);
  }
}
