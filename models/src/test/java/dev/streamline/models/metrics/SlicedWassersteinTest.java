package dev.streamline.models.metrics;

import static dev.streamline.models.metrics.GaussianSamples.draw;
import static dev.streamline.models.metrics.GaussianSamples.shifted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import org.junit.jupiter.api.Test;

class SlicedWassersteinTest {

  private static final double[] ORIGIN_2D = {0, 0};

  @Test
  void identicalSamplesAreAtDistanceZero() {
    double[][] x = draw(500, ORIGIN_2D, 1);

    assertThat(new SlicedWasserstein(64, 1).distance(x, x)).isZero();
  }

  @Test
  void aShiftInOneDimensionIsItsSize() {
    double[][] x = draw(500, new double[] {0}, 2);

    assertThat(new SlicedWasserstein(8, 1).distance(x, shifted(x, new double[] {-0.7})))
        .isCloseTo(0.7, within(1e-12));
  }

  @Test
  void aShiftInTwoDimensionsIsItsSizeOverRootTwo() {
    // Each slice sees the shift's projection (θ·s)², whose mean over the circle is |s|²/2.
    double[][] x = draw(500, ORIGIN_2D, 3);

    double distance = new SlicedWasserstein(256, 4).distance(x, shifted(x, new double[] {3, 4}));

    assertThat(distance).isCloseTo(5 / Math.sqrt(2), withinPercentage(3));
  }

  @Test
  void comparesSamplesOfDifferentSizesThroughTheirQuantileFunctions() {
    // Quantiles of {0, 1} and {0, 0.5, 1} differ by 0.5 on [1/3, 2/3) only: W2² = (1/3)·0.25.
    assertThat(SlicedWasserstein.squaredDistance1d(new double[] {0, 1}, new double[] {0, 0.5, 1}))
        .isCloseTo(1.0 / 12, within(1e-15));
  }

  @Test
  void isReproduciblePerSeedAndSeparatesAShiftedGaussian() {
    double[][] x = draw(1000, ORIGIN_2D, 5);
    double[][] y = draw(800, ORIGIN_2D, 6);
    SlicedWasserstein sliced = new SlicedWasserstein(128, 7);

    double same = sliced.distance(x, y);
    double shifted = sliced.distance(x, draw(800, new double[] {1, 0}, 8));

    assertThat(new SlicedWasserstein(128, 7).distance(x, y)).isEqualTo(same);
    assertThat(same).isLessThan(0.1);
    // Shift of 1 in two dimensions: 1/√2 plus a little sampling noise.
    assertThat(shifted).isCloseTo(1 / Math.sqrt(2), within(0.1));
  }

  @Test
  void needsAProjection() {
    assertThatThrownBy(() -> new SlicedWasserstein(0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("need at least one projection, got 0");
  }
}
