package dev.streamline.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {

  private static final String BEFORE = """
      # HELP streamline_forward_batch_size rows per forward pass
      # TYPE streamline_forward_batch_size summary
      streamline_forward_batch_size_count{application="streamline",model="moons-flow"} 10
      streamline_forward_batch_size_sum{application="streamline",model="moons-flow"} 640
      streamline_forward_batch_size_count{application="streamline",model="other"} 5
      streamline_forward_batch_size_sum{application="streamline",model="other"} 5
      streamline_queue_wait_seconds_count{model="moons-flow"} 4
      streamline_queue_wait_seconds_sum{model="moons-flow"} 0.010
      streamline_run_requests_count{application="streamline",model="moons-flow"} 2
      streamline_run_requests_sum{application="streamline",model="moons-flow"} 2
      streamline_requests_seconds_bucket{le="+Inf",model="moons-flow",note="a \\"quoted\\", {odd} value"} 7 1700000000000
      """;

  private static final String AFTER = """
      streamline_forward_batch_size_count{application="streamline",model="moons-flow"} 30
      streamline_forward_batch_size_sum{application="streamline",model="moons-flow"} 4640
      streamline_forward_batch_size_count{application="streamline",model="other"} 500
      streamline_forward_batch_size_sum{application="streamline",model="other"} 500
      streamline_queue_wait_seconds_count{model="moons-flow"} 14
      streamline_queue_wait_seconds_sum{model="moons-flow"} 0.060
      streamline_run_requests_count{application="streamline",model="moons-flow"} 6
      streamline_run_requests_sum{application="streamline",model="moons-flow"} 14
      """;

  @Test
  void labelsValuesAndEscapesAreRead() {
    PrometheusText text = PrometheusText.parse(BEFORE);
    assertThat(text.series()).hasSize(9);
    PrometheusText.Series bucket = text.series().get(8);
    assertThat(bucket.name()).isEqualTo("streamline_requests_seconds_bucket");
    assertThat(bucket.labels()).isEqualTo(
        Map.of("le", "+Inf", "model", "moons-flow", "note", "a \"quoted\", {odd} value"));
    assertThat(bucket.value()).isEqualTo(7);
    assertThat(text.sum("streamline_forward_batch_size_count", "application", "streamline"))
        .isEqualTo(15);
  }

  @Test
  void averagesComeFromTheDifferenceOfTwoScrapesForOneModel() {
    PrometheusText.Averages averages =
        PrometheusText.parse(AFTER).averagesSince(PrometheusText.parse(BEFORE), "moons-flow");
    // (4640 - 640) rows over (30 - 10) passes; (0.060 - 0.010) s over 10 waits; (14 - 2)
    // requests over (6 - 2) runs.
    assertThat(averages.forwardBatchSize()).isEqualTo(200);
    assertThat(averages.requestsPerRun()).isEqualTo(3);
    assertThat(averages.queueWaitSeconds()).isCloseTo(0.005, org.assertj.core.data.Offset.offset(1e-12));
  }

  @Test
  void nothingHappenedMeansNoAverage() {
    PrometheusText same = PrometheusText.parse(BEFORE);
    assertThat(same.averagesSince(same, "moons-flow").forwardBatchSize()).isNaN();
    assertThat(same.averagesSince(same, "absent").queueWaitSeconds()).isNaN();
  }

  @Test
  void aBrokenLineIsReportedWithItsNumber() {
    assertThatThrownBy(() -> PrometheusText.parse("ok 1\nbroken{model=\"x\"} notanumber\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Prometheus text, line 2: ");
  }
}
