package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The processes' coefficients, derivatives and log-SNR inverses agree with each other. */
class NoiseProcessTest {

  static List<NoiseProcess> processes() {
    return List.of(new NoiseProcess.LinearInterpolant(), new NoiseProcess.VpLinear(),
        new NoiseProcess.VpCosine(), new NoiseProcess.VeGeometric(), new NoiseProcess.Edm(),
        table(TimeGrid.Kind.LEADING, 1));
  }

  /** diffusers' default DDPM table: linear betas 1e-4 .. 0.02 over 1000 timesteps. */
  static double[] linearAlphasCumprod() {
    double[] a = new double[1000];
    double product = 1;
    for (int i = 0; i < a.length; i++) {
      product *= 1 - (1e-4 + (0.02 - 1e-4) * i / 999);
      a[i] = product;
    }
    return a;
  }

  static NoiseProcess.DiscreteVp table(TimeGrid.Kind spacing, int offset) {
    return new NoiseProcess.DiscreteVp(linearAlphasCumprod(), spacing, offset);
  }

  @org.junit.jupiter.api.Test
  void discreteTableIsReadExactlyOnItsTimestepsAndInLogSigmaBetween() {
    double[] table = linearAlphasCumprod();
    NoiseProcess.DiscreteVp p = table(TimeGrid.Kind.LINSPACE, 0);
    assertThat(p.noiseTime()).isEqualTo(999);
    assertThat(p.dataTime()).isEqualTo(0);
    for (int i : new int[] {0, 1, 17, 500, 998, 999}) {
      assertThat(p.alpha(i) * p.alpha(i)).as("alpha² at %s", i)
          .isCloseTo(table[i], within(1e-12 * table[i]));
      assertThat(p.alpha(i) * p.alpha(i) + p.sigma(i) * p.sigma(i)).isCloseTo(1, within(1e-12));
    }
    double lo = Math.log(p.edmSigma(250));
    double hi = Math.log(p.edmSigma(251));
    assertThat(Math.log(p.edmSigma(250.25))).isCloseTo(0.75 * lo + 0.25 * hi, within(1e-12));
    assertThat(p.timeAtLogSnr(p.logSnr(0))).isEqualTo(0);
    assertThat(p.timeAtLogSnr(p.logSnr(999))).isEqualTo(999);
    assertThat(p.timeAtLogSnr(-50)).isEqualTo(999);
    assertThat(p.timeAtLogSnr(50)).isEqualTo(0);
  }

  @org.junit.jupiter.api.Test
  void aTableMustDecreaseInsideTheOpenUnitInterval() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new NoiseProcess.DiscreteVp(
            new double[] {0.9, 0.95, 0.1}, TimeGrid.Kind.LEADING, 0))
        .hasMessage("alphas_cumprod must decrease strictly inside (0, 1); entry 1 is 0.95");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new NoiseProcess.DiscreteVp(
            new double[] {1.0, 0.5}, TimeGrid.Kind.LEADING, 0))
        .hasMessage("alphas_cumprod must decrease strictly inside (0, 1); entry 0 is 1.0");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new NoiseProcess.DiscreteVp(
            new double[] {0.9, 0.5}, TimeGrid.Kind.KARRAS, 0))
        .hasMessage("a discrete schedule's spacing lies on its timesteps (leading, trailing,"
            + " linspace, simple or ddim-uniform), got karras");
  }

  private static double[] interior(NoiseProcess p) {
    double[] t = new double[9];
    for (int i = 0; i < t.length; i++) {
      t[i] = p.timeAtNoiseFraction(0.05 + 0.9 * i / (t.length - 1));
    }
    return t;
  }

  @ParameterizedTest
  @MethodSource("processes")
  void derivativesMatchFiniteDifferences(NoiseProcess p) {
    for (double t : interior(p)) {
      double h = 1e-6 * Math.max(1, Math.abs(t));
      double alphaDot = (p.alpha(t + h) - p.alpha(t - h)) / (2 * h);
      double sigmaDot = (p.sigma(t + h) - p.sigma(t - h)) / (2 * h);
      assertThat(p.alphaDot(t)).as("alpha' at %s", t)
          .isCloseTo(alphaDot, within(1e-5 * (1 + Math.abs(alphaDot))));
      assertThat(p.sigmaDot(t)).as("sigma' at %s", t)
          .isCloseTo(sigmaDot, within(1e-5 * (1 + Math.abs(sigmaDot))));
    }
  }

  @ParameterizedTest
  @MethodSource("processes")
  void logSnrInverts(NoiseProcess p) {
    for (double t : interior(p)) {
      assertThat(p.timeAtLogSnr(p.logSnr(t))).isCloseTo(t, within(1e-9 * (1 + Math.abs(t))));
      assertThat(p.logSnr(t)).isCloseTo(Math.log(p.alpha(t) / p.sigma(t)), within(1e-9));
    }
  }

  @ParameterizedTest
  @MethodSource("processes")
  void noiseEndIsNoisierThanDataEnd(NoiseProcess p) {
    assertThat(p.edmSigma(p.noiseTime())).isGreaterThan(20.0);
    assertThat(p.edmSigma(p.dataTime())).isLessThan(0.02);
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.0, 0.25, 0.5, 1.0})
  void linearInterpolantIsTheFlowMatchingPath(double t) {
    NoiseProcess p = new NoiseProcess.LinearInterpolant();
    assertThat(p.alpha(t)).isEqualTo(t);
    assertThat(p.sigma(t)).isEqualTo(1 - t);
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.1, 0.5, 1.0})
  void vpLinearMatchesSongEtAl(double t) {
    NoiseProcess p = new NoiseProcess.VpLinear();
    double integral = 0.1 * t + 0.5 * (20 - 0.1) * t * t;
    assertThat(p.alpha(t)).isCloseTo(Math.exp(-0.5 * integral), within(1e-12));
    assertThat(p.alpha(t) * p.alpha(t) + p.sigma(t) * p.sigma(t)).isCloseTo(1.0, within(1e-12));
  }
}
