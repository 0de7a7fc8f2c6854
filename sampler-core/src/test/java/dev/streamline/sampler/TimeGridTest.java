package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class TimeGridTest {

  private static final NoiseProcess FLOW = new NoiseProcess.LinearInterpolant();
  private static final NoiseProcess EDM = new NoiseProcess.Edm();

  /** Was a 422 from the sampling: 1/rho = 1e300 overflowed sigma^(1/rho). */
  @Test
  void anExtremeRhoIsRefusedByName() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new TimeGrid(TimeGrid.Kind.KARRAS, 1e-300, 1).times(FLOW, 10))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("time grid 'karras' with rho=1.0E-300 has non-finite or out-of-order times;"
            + " choose a moderate value (the defaults are rho=7.0, shift=1.0)");
    assertThat(java.util.Arrays.stream(new TimeGrid(TimeGrid.Kind.KARRAS, 7, 1).times(FLOW, 10))
        .allMatch(Double::isFinite)).isTrue();
  }

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

  private static TimeGrid grid(TimeGrid.Kind kind) {
    return new TimeGrid(kind, 7, 1);
  }

  private static NoiseProcess.DiscreteVp table() {
    return NoiseProcessTest.table(TimeGrid.Kind.LINSPACE, 0);
  }

  @Test
  void everyGridRunsStrictlyFromNoiseToDataEndExactly() {
    NoiseProcess[] processes = {FLOW, EDM, new NoiseProcess.VpLinear(),
        new NoiseProcess.VpCosine(), new NoiseProcess.VeGeometric(), table()};
    for (TimeGrid.Kind kind : TimeGrid.Kind.values()) {
      for (NoiseProcess process : processes) {
        if (kind.onTable() && !(process instanceof NoiseProcess.DiscreteVp)) {
          continue;
        }
        double[] t = grid(kind).times(process, 10);
        String where = kind.id() + " on " + process.id();
        // Grids on a table's timesteps start where their definition puts them, at most at the
        // top, and some (leading, ddim-uniform) have their own length; those are checked below.
        if (process instanceof NoiseProcess.DiscreteVp) {
          assertThat(t[0]).as(where).isLessThanOrEqualTo(process.noiseTime());
        } else {
          assertThat(t).as(where).hasSize(11);
          assertThat(t[0]).as(where).isEqualTo(process.noiseTime());
        }
        assertThat(t[t.length - 1]).as(where).isEqualTo(process.dataTime());
        double direction = Math.signum(process.dataTime() - process.noiseTime());
        for (int i = 1; i < t.length; i++) {
          assertThat(direction * (t[i] - t[i - 1])).as(where + " at " + i).isPositive();
        }
      }
    }
  }

  /** k-diffusion's get_sigmas_exponential and _polyexponential, without their closing 0. */
  @Test
  void exponentialGridsAreThoseOfKDiffusion() {
    double max = Math.log(80);
    double min = Math.log(0.002);
    for (double rho : new double[] {1, 7}) {
      TimeGrid.Kind kind = rho == 1 ? TimeGrid.Kind.EXPONENTIAL : TimeGrid.Kind.POLYEXPONENTIAL;
      double[] t = new TimeGrid(kind, rho, 1).times(EDM, 12);
      for (int i = 0; i <= 12; i++) {
        double expected = Math.exp(Math.pow(1 - i / 12.0, rho) * (max - min) + min);
        assertThat(t[i]).as(kind.id() + " at " + i).isCloseTo(expected, within(1e-9 * expected));
      }
    }
  }

  /** ComfyUI's kl_optimal: tan of atan(sigma) interpolated linearly, in sigma = sigma/alpha. */
  @Test
  void klOptimalGridInterpolatesTheArctangentOfSigma() {
    NoiseProcess vp = new NoiseProcess.VpLinear();
    double hi = Math.atan(vp.edmSigma(vp.noiseTime()));
    double lo = Math.atan(vp.edmSigma(vp.dataTime()));
    double[] t = grid(TimeGrid.Kind.KL_OPTIMAL).times(vp, 9);
    for (int i = 0; i <= 9; i++) {
      double expected = Math.tan(i / 9.0 * lo + (1 - i / 9.0) * hi);
      assertThat(vp.edmSigma(t[i])).isCloseTo(expected, within(1e-9 * expected));
    }
  }

  /** ComfyUI's normal and sgm_uniform, whose closing 0 is the data end, are even in time. */
  @Test
  void normalAndSgmUniformAreEvenInTheModelsTime() {
    for (TimeGrid.Kind kind : new TimeGrid.Kind[] {TimeGrid.Kind.NORMAL,
        TimeGrid.Kind.SGM_UNIFORM}) {
      assertThat(grid(kind).times(FLOW, 4)).containsExactly(0, 0.25, 0.5, 0.75, 1.0);
      double[] t = grid(kind).times(table(), 5);
      double[] expected = {999, 799.2, 599.4, 399.6, 199.8, 0};
      for (int i = 0; i <= 5; i++) {
        assertThat(t[i]).isCloseTo(expected[i], within(1e-9));
      }
    }
  }

  /**
   * The timesteps (not sigmas) that ComfyUI's simple, ddim_uniform and beta schedulers pick from
   * a 1000-entry table, computed with /usr/bin/python3 from their definitions; beta's quantiles
   * by bisection on mpmath.betainc(0.6, 0.6, 0, x, regularized=True).
   */
  @Test
  void tableGridsPickComfyUisTimesteps() {
    assertThat(grid(TimeGrid.Kind.SIMPLE).times(table(), 7))
        .containsExactly(999, 857, 714, 571, 428, 285, 142, 0);
    assertThat(grid(TimeGrid.Kind.SIMPLE).times(table(), 10))
        .containsExactly(999, 899, 799, 699, 599, 499, 399, 299, 199, 99, 0);
    assertThat(grid(TimeGrid.Kind.BETA).times(table(), 10))
        .containsExactly(999, 959, 876, 765, 637, 500, 362, 234, 123, 40, 0);
    double[] ddim = grid(TimeGrid.Kind.DDIM_UNIFORM).times(table(), 10);
    assertThat(ddim).containsExactly(901, 801, 701, 601, 501, 401, 301, 201, 101, 1, 0);
    double[] uneven = grid(TimeGrid.Kind.DDIM_UNIFORM).times(table(), 30);
    assertThat(uneven).hasSize(32);
    assertThat(java.util.Arrays.copyOf(uneven, 3)).containsExactly(991, 958, 925);
    assertThat(uneven[30]).isEqualTo(1);
  }

  /** Beta(0.6, 0.6) quantiles from mpmath (see above), as noise fractions off the table. */
  @Test
  void betaGridOffATableUsesTheQuantilesAsNoiseFractions() {
    double[] expected = {1.0, 0.942843636377586, 0.824319621347305, 0.670618504278616, 0.5,
        0.329381495721384, 0.175680378652695, 0.057156363622414066, 0};
    double[] t = grid(TimeGrid.Kind.BETA).times(FLOW, 8);
    for (int i = 0; i <= 8; i++) {
      assertThat(1 - t[i]).isCloseTo(expected[i], within(1e-12));
    }
    // mpmath.betainc(0.6, 0.6, 0, 0.2, regularized=True) and (2.5, 0.7, 0, 0.9).
    assertThat(TimeGrid.regularizedBeta(0.2, 0.6, 0.6))
        .isCloseTo(0.271367932826582421, within(1e-13));
    assertThat(TimeGrid.regularizedBeta(0.9, 2.5, 0.7))
        .isCloseTo(0.623932172900793716, within(1e-13));
  }

  /** ComfyUI's linear_quadratic_schedule (its sigmas are our noise fractions), from python3. */
  @Test
  void linearQuadraticGridIsComfyUisSchedule() {
    double[] seven = {1.0, 0.9916666666666667, 0.9833333333333333, 0.975, 0.9078125,
        0.7229166666666667, 0.4203125, 0.0};
    double[] t = grid(TimeGrid.Kind.LINEAR_QUADRATIC).times(FLOW, 7);
    for (int i = 0; i <= 7; i++) {
      assertThat(1 - t[i]).isCloseTo(seven[i], within(1e-12));
    }
    double[] ten = grid(TimeGrid.Kind.LINEAR_QUADRATIC).times(FLOW, 10);
    assertThat(1 - ten[5]).isCloseTo(0.975, within(1e-12));
    assertThat(1 - ten[8]).isCloseTo(0.618, within(1e-12));
  }

  @Test
  void tableOnlyGridsAreRefusedOffATable() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> grid(TimeGrid.Kind.SIMPLE).times(FLOW, 10))
        .isInstanceOf(InvalidJobException.class)
        .hasMessageStartingWith("time grid 'simple' steps on the timesteps of a discrete");
  }
}
