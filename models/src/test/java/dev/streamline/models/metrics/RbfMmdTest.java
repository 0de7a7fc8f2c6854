package dev.streamline.models.metrics;

import static dev.streamline.models.metrics.GaussianSamples.draw;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RbfMmdTest {

  private static final double[] ORIGIN_2D = {0, 0};

  @Test
  void matchesAHandComputedValue() {
    // 1D, h = 1: within each sample one pair at distance 1; across, distances 2, 3, 1, 2.
    double[][] x = {{0}, {1}};
    double[][] y = {{2}, {3}};
    double expected = 2 * Math.exp(-0.5)
        - (2 * Math.exp(-2) + Math.exp(-4.5) + Math.exp(-0.5)) / 2;

    assertThat(RbfMmd.withBandwidths(1).squared(x, y)).isCloseTo(expected, within(1e-15));
  }

  @Test
  void medianHeuristicScalesTheMedianPairwiseDistance() {
    // Pairwise distances 1, 2, 3: median 2.
    double[][] reference = {{0}, {1}, {3}};

    assertThat(RbfMmd.medianHeuristic(reference).bandwidths()).containsExactly(1, 2, 4);
  }

  @Test
  void identicalSamplesGiveNearlyZero() {
    double[][] x = draw(500, ORIGIN_2D, 1);

    assertThat(Arrays.stream(RbfMmd.withBandwidths(0.5, 1, 2).squaredPerBandwidth(x, x)))
        .allSatisfy(mmd -> assertThat(mmd).isCloseTo(0, within(2.0 / 500)));
  }

  @Test
  void matchesTheClosedFormForShiftedUnitGaussians() {
    // For N(0, I) and N(Δ, I) in d dimensions, with c = h²/(h² + 2):
    // MMD² = 2·c^(d/2)·(1 − exp(−|Δ|²/(2(h² + 2)))).
    double[] bandwidths = {1, 2};
    double[][] x = draw(3000, ORIGIN_2D, 2);
    double[][] y = draw(3000, new double[] {1, 0}, 3);

    double[] mmd = RbfMmd.withBandwidths(bandwidths).squaredPerBandwidth(x, y);

    for (int b = 0; b < bandwidths.length; b++) {
      double h2 = bandwidths[b] * bandwidths[b];
      double expected = 2 * (h2 / (h2 + 2)) * (1 - Math.exp(-1 / (2 * (h2 + 2))));
      // The estimator's standard deviation at this size is about 0.006.
      assertThat(mmd[b]).isCloseTo(expected, within(0.025));
    }
  }

  @Test
  void separatesAShiftedGaussianFromAnIndependentSampleOfTheSameOne() {
    double[][] x = draw(1000, ORIGIN_2D, 4);
    RbfMmd mmd = RbfMmd.medianHeuristic(x);

    double same = mmd.squared(x, draw(1000, ORIGIN_2D, 5));
    double shifted = mmd.squared(x, draw(1000, new double[] {1, 0}, 6));

    assertThat(same).isCloseTo(0, within(0.005));
    assertThat(shifted).isGreaterThan(0.05).isGreaterThan(10 * Math.abs(same));
  }

  @Test
  void rejectsUnusableBandwidths() {
    assertThatThrownBy(() -> RbfMmd.withBandwidths())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("at least one bandwidth is needed");
    assertThatThrownBy(() -> RbfMmd.withBandwidths(1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bandwidths must be positive and finite, got 0.0");
    assertThatThrownBy(() -> RbfMmd.medianHeuristic(new double[][] {{1, 1}, {1, 1}}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("median pairwise distance 0");
  }
}
