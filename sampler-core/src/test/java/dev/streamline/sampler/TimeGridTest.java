package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
            + " choose a moderate value (the defaults are rho=7.0 for karras and 1.0 for"
            + " polyexponential, shift=1.0)");
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
    double[] t = grid(TimeGrid.Kind.LOG_SNR).times(vp, 8);
    double step = vp.logSnr(t[1]) - vp.logSnr(t[0]);
    for (int i = 1; i < t.length; i++) {
      assertThat(vp.logSnr(t[i]) - vp.logSnr(t[i - 1])).isCloseTo(step, within(1e-9));
    }
  }

  @Test
  void shiftMovesTheFlowSigmaLikeSd3() {
    double[] t = new TimeGrid(TimeGrid.Kind.UNIFORM, Double.NaN, 3.0).times(FLOW, 4);
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
    double[] leading = grid(TimeGrid.Kind.LEADING)
        .times(NoiseProcessTest.table(TimeGrid.Kind.LINSPACE, 1), 50);
    assertThat(leading).hasSize(51);
    for (int i = 0; i < 50; i++) {
      assertThat(leading[i]).isEqualTo(981 - 20 * i);
    }
    assertThat(leading[50]).isEqualTo(0);
    double[] trailing = grid(TimeGrid.Kind.TRAILING)
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
    TimeGrid leading = grid(TimeGrid.Kind.LEADING);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> leading.times(FLOW, 10))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("time grid 'leading' steps on the timesteps of a discrete schedule; this"
            + " model's process is linear: use uniform, karras or log-snr");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TimeGrid(null, Double.NaN, 3)
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
    return new TimeGrid(kind, Double.NaN, 1);
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
        if (kind == TimeGrid.Kind.AYS) {
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
      double[] t = new TimeGrid(kind, rho == 1 ? Double.NaN : rho, 1).times(EDM, 12);
      for (int i = 0; i <= 12; i++) {
        double expected = Math.exp(Math.pow(1 - i / 12.0, rho) * (max - min) + min);
        assertThat(t[i]).as(kind.id() + " at " + i).isCloseTo(expected, within(1e-9 * expected));
      }
    }
    // np.exp(np.linspace(np.log(80), np.log(0.002), 13))[[3, 9]]
    double[] t = grid(TimeGrid.Kind.EXPONENTIAL).times(EDM, 12);
    assertThat(t[3]).isCloseTo(5.656854249492379, within(1e-12));
    assertThat(t[9]).isCloseTo(0.02828427124746192, within(1e-14));
    // k-diffusion's and ComfyUI's polyexponential default to rho = 1, the exponential grid.
    assertThat(grid(TimeGrid.Kind.POLYEXPONENTIAL).times(EDM, 12)).containsExactly(t);
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

  /** Stable Diffusion's scaled_linear table: betas = linspace(sqrt(0.00085), sqrt(0.012), 1000)². */
  static NoiseProcess.DiscreteVp stableDiffusion() {
    double[] a = new double[1000];
    double product = 1;
    double lo = Math.sqrt(0.00085);
    double hi = Math.sqrt(0.012);
    for (int i = 0; i < 1000; i++) {
      double root = lo + (hi - lo) * i / 999;
      product *= 1 - root * root;
      a[i] = product;
    }
    return new NoiseProcess.DiscreteVp(a, TimeGrid.Kind.LEADING, 1);
  }

  private static TimeGrid ays(AlignYourSteps.Family family) {
    return new TimeGrid(TimeGrid.Kind.AYS, Double.NaN, 1, Double.NaN, Double.NaN, family, null);
  }

  /**
   * At its own 10 steps ays is the published table (ComfyUI's AlignYourStepsScheduler, NVIDIA's
   * guide): SD1's and SDXL's sigmas on Stable Diffusion's table, SVD's on the EDM process of
   * SVD's range, and the data end in place of the table's last sigma, which ComfyUI sets to 0.
   */
  @Test
  void aysReproducesItsPublishedTablesAtTenSteps() {
    NoiseProcess sd = stableDiffusion();
    // np.sqrt((1 - ac) / ac) of that table at timesteps 999 and 0: the SD tables' ends.
    assertThat(sd.edmSigma(999)).isCloseTo(14.614641229333639, within(1e-12));
    assertThat(sd.edmSigma(0)).isCloseTo(0.029167158151720367, within(1e-15));
    for (AlignYourSteps.Family family : new AlignYourSteps.Family[] {AlignYourSteps.Family.SD1,
        AlignYourSteps.Family.SDXL}) {
      double[] table = family.table();
      double[] t = ays(family).times(sd, 10);
      assertThat(t).hasSize(11);
      for (int i = 0; i < 10; i++) {
        assertThat(sd.edmSigma(t[i])).as(family.id() + " at " + i)
            .isCloseTo(table[i], within(1e-9 * table[i]));
      }
      assertThat(t[10]).isEqualTo(0);
    }
    NoiseProcess svd = new NoiseProcess.Edm(0.002, 700);
    double[] svdTable = {700.00, 54.5, 15.886, 7.977, 4.248, 1.789, 0.981, 0.403, 0.173, 0.034,
        0.002};
    double[] t = ays(AlignYourSteps.Family.SVD).times(svd, 10);
    for (int i = 0; i <= 10; i++) {
      assertThat(t[i]).isCloseTo(svdTable[i], within(1e-14 * svdTable[i]));
    }
  }

  /** ComfyUI's loglinear_interp, computed with numpy.interp on the log of the reversed table. */
  @Test
  void aysInterpolatesItsTableLogLinearly() {
    NoiseProcess sd = stableDiffusion();
    double[] t = ays(AlignYourSteps.Family.SD1).times(sd, 20);
    assertThat(t).hasSize(21);
    // np.exp(np.interp(np.linspace(0, 1, 21), np.linspace(0, 1, 11), np.log(sd1[::-1])))[::-1]
    double[] expected = {9.727466615157105, 2.253258225244809, 0.7931279201530576,
        0.06647934322957856};
    int[] at = {1, 7, 13, 19};
    for (int k = 0; k < at.length; k++) {
      assertThat(sd.edmSigma(t[at[k]])).isCloseTo(expected[k], within(1e-9 * expected[k]));
    }
    for (int steps : new int[] {3, 7, 20, 64}) {
      double[] grid = ays(AlignYourSteps.Family.SDXL).times(sd, steps);
      for (int i = 1; i < grid.length; i++) {
        assertThat(grid[i]).as(steps + " steps at " + i).isLessThan(grid[i - 1]);
      }
    }
    // At 5 steps every other entry of the table: the interpolation passes through its knots.
    double[] five = ays(AlignYourSteps.Family.SVD).times(new NoiseProcess.Edm(0.002, 700), 5);
    double[] knots = {700, 15.886, 4.248, 0.981, 0.173, 0.002};
    for (int i = 0; i <= 5; i++) {
      assertThat(five[i]).isCloseTo(knots[i], within(1e-12 * knots[i]));
    }
  }

  @Test
  void aysIsRefusedWithoutItsTableOrOnAnotherRange() {
    assertThatThrownBy(() -> grid(TimeGrid.Kind.AYS).times(EDM, 10))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("time grid 'ays' needs aysModel, one of [sd1, sdxl, svd]: each of its tables"
            + " is optimized for one model family");
    assertThatThrownBy(() -> ays(AlignYourSteps.Family.SVD).times(EDM, 10))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("the ays table of svd runs sigma 700.000 to 0.00200000, the range of that"
            + " family; this model's process (edm) runs sigma/alpha 80.0000 to 0.00200000: choose"
            + " the aysModel of its family, or another grid");
    assertThatThrownBy(() -> ays(AlignYourSteps.Family.SD1).times(FLOW, 10))
        .hasMessageStartingWith("the ays table of sd1 runs sigma 14.6146 to 0.0291672");
    assertThatThrownBy(() -> ays(AlignYourSteps.Family.SD1).times(table(), 10))
        // np.sqrt((1 - ac) / ac) at 999 and 0 of the DDPM table of betas linspace(1e-4, 0.02).
        .hasMessageEndingWith("(vp-discrete) runs sigma/alpha 157.407 to 0.0100005: choose the"
            + " aysModel of its family, or another grid");
  }

  /** scipy.stats.beta.ppf(1 - np.linspace(0, 1, 10, endpoint=False), 0.5, 0.7), times 999. */
  @Test
  void betaGridTakesItsShapeAndDropsRepeatedTimestepsAsComfyUi() {
    TimeGrid shaped = new TimeGrid(TimeGrid.Kind.BETA, Double.NaN, 1, 0.5, 0.7, null, null);
    assertThat(shaped.times(table(), 10))
        .containsExactly(999, 918, 790, 645, 499, 361, 238, 137, 62, 16, 0);
    // At 300 steps on 1000 timesteps the Beta(0.6, 0.6) quantiles round to 293 distinct ones,
    // from 999, 998, ... down to ..., 1, 0 (the same rint and de-duplication in python3).
    double[] crowded = grid(TimeGrid.Kind.BETA).times(table(), 300);
    assertThat(crowded).hasSize(293);
    assertThat(java.util.Arrays.copyOf(crowded, 3)).containsExactly(999, 998, 997);
    assertThat(crowded[292]).isEqualTo(0);
  }

  /**
   * diffusers' _convert_to_beta (use_beta_sigmas) with 11 sigmas between the table's ends:
   * sigma_min + scipy.stats.beta.ppf(1 - np.linspace(0, 1, 11), 0.6, 0.6)·(sigma_max - sigma_min).
   */
  @Test
  void betaSigmasAreThoseOfDiffusers() {
    NoiseProcess sd = stableDiffusion();
    double[] expected = {14.614641229333639, 14.037283907995327, 12.821769225239331,
        11.20139228709571, 9.324475333110637, 7.321904193742681, 5.319333054374717,
        3.4424161003896483, 1.8220391622460281, 0.6065244794900319, 0.029167158151720367};
    double[] t = grid(TimeGrid.Kind.BETA_SIGMAS).times(sd, 10);
    for (int i = 0; i <= 10; i++) {
      assertThat(sd.edmSigma(t[i])).as("at " + i).isCloseTo(expected[i],
          within(1e-9 * expected[i]));
    }
  }

  /**
   * ComfyUI's linear_quadratic_schedule multiplies its noise levels by the model's sigma_max:
   * on Stable Diffusion its sigmas (python3, from the definition) times 14.614641229333639.
   */
  @Test
  void linearQuadraticScalesTheNoiseEndsSigmaOffTheFlow() {
    NoiseProcess sd = stableDiffusion();
    double[] expected = {14.614641229333639, 14.54156802318697, 14.468494817040302,
        14.395421610893635, 14.322348404746966, 14.2492751986003, 13.620845625738953,
        11.88170331944825, 9.031848279728191, 5.071280506578775};
    double[] t = grid(TimeGrid.Kind.LINEAR_QUADRATIC).times(sd, 10);
    for (int i = 0; i < 10; i++) {
      assertThat(sd.edmSigma(t[i])).as("at " + i).isCloseTo(expected[i],
          within(1e-9 * expected[i]));
    }
    assertThat(t[10]).isEqualTo(0);
  }

  @Test
  void gridKnobsAreRefusedByTheGridsThatDoNotReadThem() {
    assertThatThrownBy(() -> new TimeGrid(TimeGrid.Kind.UNIFORM, 3, 1).times(FLOW, 4))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("rho shapes the karras and polyexponential grids; time grid 'uniform' reads"
            + " none");
    assertThatThrownBy(() -> new TimeGrid(TimeGrid.Kind.KARRAS, Double.NaN, 1, 0.5, Double.NaN,
            null, null).times(EDM, 4))
        .hasMessage("betaAlpha and betaBeta shape the beta grids; time grid 'karras' reads none");
    assertThatThrownBy(() -> new TimeGrid(null, Double.NaN, 1, Double.NaN, Double.NaN,
            AlignYourSteps.Family.SD1, null).times(EDM, 4))
        .hasMessage("aysModel picks the table of the ays grid; time grid 'karras' reads none");
  }

  private static TimeGrid listed(SamplerOption option, double... values) {
    return new TimeGrid(null, Double.NaN, 1, Double.NaN, Double.NaN, null,
        new TimeGrid.Listed(option, java.util.Arrays.stream(values).boxed().toList()));
  }

  /** A list is its grid: the karras sigmas with or without the closing 0 lay the karras grid. */
  @Test
  void aListedGridReproducesTheGridItLists() {
    double[] karras = grid(TimeGrid.Kind.KARRAS).times(EDM, 8);
    double[] open = java.util.Arrays.copyOf(karras, 8);
    double[] closed = java.util.Arrays.copyOf(karras, 9);
    closed[8] = 0;
    assertThat(listed(SamplerOption.SIGMAS, open).times(EDM, 8)).containsExactly(karras);
    assertThat(listed(SamplerOption.SIGMAS, closed).times(EDM, 8)).containsExactly(karras);
    assertThat(listed(SamplerOption.SIGMAS, karras).times(EDM, 8)).containsExactly(karras);
    assertThat(listed(SamplerOption.SIGMAS, open).listedSteps(EDM)).hasValue(8);
    // diffusers' AysSchedules["StableDiffusionTimesteps"]: the ays sd1 grid's timesteps, rounded.
    double[] ays = {999, 850, 736, 645, 545, 455, 343, 233, 124, 24};
    double[] t = listed(SamplerOption.TIMESTEPS, ays).times(stableDiffusion(), 10);
    assertThat(t).containsExactly(999, 850, 736, 645, 545, 455, 343, 233, 124, 24, 0);
    double[] grid = ays(AlignYourSteps.Family.SD1).times(stableDiffusion(), 10);
    for (int i = 0; i < 10; i++) {
      assertThat(grid[i]).as("at " + i).isCloseTo(ays[i], within(1.0));
    }
    // The flow's own sigma, as its diffusers schedulers take sigmas= (the 0 implied).
    assertThat(listed(SamplerOption.SIGMAS, 1, 0.75, 0.5, 0.25).times(FLOW, 4))
        .containsExactly(0, 0.25, 0.5, 0.75, 1);
    assertThat(listed(SamplerOption.TIMESTEPS, 0, 0.5, 1).times(FLOW, 2))
        .containsExactly(0, 0.5, 1);
  }

  @Test
  void listsAreRefusedWhereTheyCannotBeTheGrid() {
    assertThatThrownBy(() -> listed(SamplerOption.SIGMAS, 80, 10, 1).times(EDM, 5))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("sigmas define 3 steps (one per value before the data end) and steps is 5:"
            + " leave steps out or make it 3");
    assertThatThrownBy(() -> listed(SamplerOption.SIGMAS, 40, 10, 1).times(EDM, 3))
        .hasMessage("sigmas must start at the noise end of this model's process (edm), sigma"
            + " 80.0000, where sampling starts; got 40.0");
    assertThatThrownBy(() -> listed(SamplerOption.SIGMAS, 80, 10, 20, 0).times(EDM, 3))
        .hasMessage("sigmas must run strictly from the noise end 80.0000 towards the data end"
            + " 0.00200000; sigmas[2] = 20.0 follows 10.0");
    assertThatThrownBy(() -> listed(SamplerOption.SIGMAS, 80, 10, 0.001, 0).times(EDM, 3))
        .hasMessage("sigmas[2] = 0.001 is at or past the data end of this model's process (edm),"
            + " sigma 0.00200000; only the last value may close the list there (or at 0)");
    assertThatThrownBy(() -> listed(SamplerOption.SIGMAS, 0).times(EDM, 1))
        .hasMessage("sigmas must start at the noise end of this model's process (edm), sigma"
            + " 80.0000, where sampling starts; got 0.0");
    assertThatThrownBy(() -> listed(SamplerOption.TIMESTEPS, 999, 500, 500).times(table(), 3))
        .hasMessage("timesteps must run strictly from the noise end 999.000 towards the data end"
            + " 0.00000; timesteps[2] = 500.0 follows 500.0");
    assertThatThrownBy(() -> listed(SamplerOption.TIMESTEPS, 0, 0.5, 1.5).times(FLOW, 3))
        .hasMessage("timesteps[2] = 1.5 is at or past the data end of this model's process"
            + " (linear), time 1.00000; only the last value may close the list there");
    assertThatThrownBy(() -> new TimeGrid(TimeGrid.Kind.KARRAS, Double.NaN, 1, Double.NaN,
            Double.NaN, null, new TimeGrid.Listed(SamplerOption.SIGMAS, java.util.List.of(1.0))))
        .hasMessage("sigmas are the grid itself; they take no timeGrid, rho, shift, betaAlpha,"
            + " betaBeta or aysModel");
  }
}
