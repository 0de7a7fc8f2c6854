package dev.streamline.models.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.streamline.models.data.TwoDimensionalDataset;
import org.junit.jupiter.api.Test;

class QualityReportTest {

  private static final int N = 1000;
  private final double[][] reference = TwoDimensionalDataset.MOONS.sample(N, 1);
  private final double[][] heldOut = TwoDimensionalDataset.MOONS.sample(N, 2);

  @Test
  void aPerfectModelScoresLikeTheFloor() {
    QualityReport report = QualityReport.evaluate(
        TwoDimensionalDataset.MOONS.sample(N, 3), reference, heldOut, 4);

    assertThat(report.generated().energy()).isCloseTo(0, within(0.01));
    assertThat(report.floor().energy()).isCloseTo(0, within(0.01));
    assertThat(report.generated().mmdSquared()).isCloseTo(0, within(0.003));
    assertThat(report.floor().mmdSquared()).isCloseTo(0, within(0.003));
    assertThat(report.generated().slicedWasserstein())
        .isCloseTo(report.floor().slicedWasserstein(), within(0.05));
  }

  @Test
  void aWrongDistributionScoresFarAboveTheFloor() {
    QualityReport report = QualityReport.evaluate(
        TwoDimensionalDataset.EIGHT_GAUSSIANS.sample(N, 3), reference, heldOut, 4);

    // Floors here: energy ≈ 0.008 (the V-statistic's bias at this size), MMD² ≈ 0.001, sliced
    // W2 ≈ 0.13.
    assertThat(report.generated().energy())
        .isGreaterThan(0.2).isGreaterThan(20 * report.floor().energy());
    assertThat(report.generated().mmdSquared())
        .isGreaterThan(0.05).isGreaterThan(20 * Math.abs(report.floor().mmdSquared()));
    assertThat(report.generated().slicedWasserstein())
        .isGreaterThan(5 * report.floor().slicedWasserstein());
    assertThat(report.summary()).matches(
        "energy \\S+ \\(floor \\S+\\), MMD² \\S+ \\(floor \\S+\\), sliced W2 \\S+ \\(floor \\S+\\)");
  }
}
