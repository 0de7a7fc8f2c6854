package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class TimeGridTest {

  private static final NoiseProcess FLOW = new NoiseProcess.LinearInterpolant();
  private static final NoiseProcess EDM = new NoiseProcess.Edm();

  @Test
  void uniformGridOfTheFlow() {
    double[] t = TimeGrid.DEFAULT.times(FLOW, 4);
    assertThat(t).containsExactly(0, 0.25, 0.5, 0.75, 1.0);
  }

  @Test
  void karrasGridIsTheEdmSchedule() {
    double[] t = TimeGrid.DEFAULT.times(EDM, 17);
    assertThat(t[0]).isEqualTo(80.0);
    assertThat(t[17]).isEqualTo(0.002);
    double hi = Math.pow(80, 1 / 7.0);
    double lo = Math.pow(0.002, 1 / 7.0);
    for (int i = 0; i <= 17; i++) {
      double expected = Math.pow(hi + i / 17.0 * (lo - hi), 7);
      assertThat(t[i]).isCloseTo(expected, within(1e-9 * expected));
    }
  }

  @Test
  void logSnrGridIsEvenInLogSnr() {
    NoiseProcess vp = new NoiseProcess.VpLinear();
    double[] t = new TimeGrid(TimeGrid.Kind.LOG_SNR, 7, 1).times(vp, 8);
    double step = vp.logSnr(t[1]) - vp.logSnr(t[0]);
    for (int i = 1; i < t.length; i++) {
      assertThat(vp.logSnr(t[i]) - vp.logSnr(t[i - 1])).isCloseTo(step, within(1e-9));
    }
  }

  @Test
  void shiftMovesTheFlowSigmaLikeSd3() {
    double[] t = new TimeGrid(TimeGrid.Kind.UNIFORM, 7, 3.0).times(FLOW, 4);
    for (int i = 0; i <= 4; i++) {
      double sigma = 1 - i / 4.0;
      assertThat(1 - t[i]).isCloseTo(3 * sigma / (1 + 2 * sigma), within(1e-12));
    }
  }

  @Test
  void finiteStartLeavesPureNoiseForTheLogSnrLimit() {
    double[] t = TimeGrid.withFiniteStart(FLOW, TimeGrid.DEFAULT.times(FLOW, 10));
    assertThat(FLOW.logSnr(t[0])).isCloseTo(-NoiseProcess.LOG_SNR_LIMIT, within(1e-9));
    assertThat(t[1]).isEqualTo(0.1);
  }
}
