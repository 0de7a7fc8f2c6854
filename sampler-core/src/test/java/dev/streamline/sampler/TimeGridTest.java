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

  /** diffusers' set_timesteps for 1000 training timesteps and 50 steps, then timestep 0. */
  @org.junit.jupiter.api.Test
  void tableSpacingsAreThoseOfDiffusers() {
    double[] leading = new TimeGrid(TimeGrid.Kind.LEADING, 7, 1)
        .times(NoiseProcessTest.table(TimeGrid.Kind.LINSPACE, 1), 50);
    assertThat(leading).hasSize(51);
    for (int i = 0; i < 50; i++) {
      assertThat(leading[i]).isEqualTo(981 - 20 * i);
    }
    assertThat(leading[50]).isEqualTo(0);
    double[] trailing = new TimeGrid(TimeGrid.Kind.TRAILING, 7, 1)
        .times(NoiseProcessTest.table(TimeGrid.Kind.LINSPACE, 1), 50);
    assertThat(trailing).hasSize(51);
    assertThat(trailing[0]).isEqualTo(999);
    assertThat(trailing[49]).isEqualTo(19);
    assertThat(trailing[50]).isEqualTo(0);
    // np.linspace(0, 999, 50).round()[::-1]: ends at 0 itself, so nothing is appended.
    double[] linspace = TimeGrid.DEFAULT.times(NoiseProcessTest.table(TimeGrid.Kind.LINSPACE, 0),
        50);
    assertThat(linspace).hasSize(50);
    assertThat(java.util.Arrays.copyOf(linspace, 6)).containsExactly(999, 979, 958, 938, 917, 897);
    assertThat(linspace[49]).isEqualTo(0);
    assertThat(linspace[48]).isEqualTo(20);
  }

  @org.junit.jupiter.api.Test
  void tableSpacingsAreRefusedWhereTheyCannotLie() {
    TimeGrid leading = new TimeGrid(TimeGrid.Kind.LEADING, 7, 1);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> leading.times(FLOW, 10))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("time grid 'leading' steps on the timesteps of a discrete schedule; this"
            + " model's process is linear: use uniform, karras or log-snr");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TimeGrid(null, 7, 3)
            .times(NoiseProcessTest.table(TimeGrid.Kind.TRAILING, 0), 10))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("shift moves continuous grids; time grid 'trailing' lies on the schedule's"
            + " timesteps");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> leading
            .times(NoiseProcessTest.table(TimeGrid.Kind.LEADING, 1), 1000))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("time grid 'leading' cannot place 1000 steps on 1000 timesteps"
            + " (steps_offset 1)");
  }
}
