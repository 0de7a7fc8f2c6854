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
        new NoiseProcess.VpCosine(), new NoiseProcess.VeGeometric(), new NoiseProcess.Edm());
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
