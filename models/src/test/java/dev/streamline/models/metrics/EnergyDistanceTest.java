package dev.streamline.models.metrics;

import static dev.streamline.models.metrics.GaussianSamples.draw;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class EnergyDistanceTest {

  private static final double[] ORIGIN_2D = {0, 0};

  @Test
  void identicalSamplesGiveExactlyZero() {
    double[][] x = draw(500, ORIGIN_2D, 1);
    assertThat(EnergyDistance.of(x, x)).isCloseTo(0, within(1e-12));
  }

  @Test
  void separatesAShiftedGaussianFromAnIndependentSampleOfTheSameOne() {
    double[][] x = draw(1000, ORIGIN_2D, 2);

    double same = EnergyDistance.of(x, draw(1000, ORIGIN_2D, 3));
    double shifted = EnergyDistance.of(x, draw(1000, new double[] {1, 0}, 4));

    assertThat(same).isCloseTo(0, within(0.01));
    assertThat(shifted).isGreaterThan(0.3).isGreaterThan(30 * Math.abs(same));
  }

  @Test
  void matchesTheClosedFormForUnitGaussiansOneApartInOneDimension() {
    // X−Y ~ N(1, 2) and X−X' ~ N(0, 2), with E|N(μ, σ²)| = σ√(2/π)·exp(−μ²/2σ²) + μ·erf(μ/(σ√2)),
    // so D = 2·[(2/√π)·e^(−1/4) + erf(1/2)] − 4/√π.
    double erfHalf = 0.5204998778130465;
    double expected = 2 * (2 / Math.sqrt(Math.PI) * Math.exp(-0.25) + erfHalf)
        - 4 / Math.sqrt(Math.PI);
    assertThat(expected).isCloseTo(0.54181, within(1e-5));

    double energy = EnergyDistance.of(draw(5000, new double[] {0}, 5), draw(5000, new double[] {1}, 6));

    // The estimator's standard deviation at this size is about 0.02.
    assertThat(energy).isCloseTo(expected, within(0.08));
  }

  @Test
  void isSymmetricAndAcceptsUnequalSizes() {
    double[][] x = draw(300, ORIGIN_2D, 7);
    double[][] y = draw(700, new double[] {0.5, 0.5}, 8);

    assertThat(EnergyDistance.of(x, y)).isCloseTo(EnergyDistance.of(y, x), within(1e-12));
  }

  @Test
  void rejectsMismatchedOrTooSmallSamples() {
    assertThatThrownBy(() -> EnergyDistance.of(draw(5, ORIGIN_2D, 1), draw(5, new double[3], 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("samples differ in dimension: first has 2, second has 3");
    assertThatThrownBy(() -> EnergyDistance.of(draw(1, ORIGIN_2D, 1), draw(5, ORIGIN_2D, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("first sample has 1 points; this statistic needs at least 2");
    assertThatThrownBy(() -> EnergyDistance.of(new double[][] {{0, 0}, {1}}, draw(5, ORIGIN_2D, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("first sample is ragged: point 0 has dimension 2 but point 1 has 1");
  }
}
