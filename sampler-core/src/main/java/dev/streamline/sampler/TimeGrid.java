package dev.streamline.sampler;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * How a fixed-step sampler places its steps between the noise and data ends of a process.
 *
 * <ul>
 *   <li>{@code uniform}: evenly in the process's time.
 *   <li>{@code karras}: evenly in sigma^(1/rho) with sigma = sigma(t)/alpha(t) (Karras et al. 2022).
 *   <li>{@code log-snr}: evenly in log(alpha/sigma), the variable of DPM-Solver.
 *   <li>{@code leading}, {@code trailing}, {@code linspace}: diffusers' timestep spacings, on the
 *       whole timesteps of a {@link NoiseProcess.DiscreteVp} table (and only there). With N
 *       training timesteps and n steps: leading takes i·(N div n) + steps_offset, trailing
 *       round(N - i·N/n) - 1, linspace round(i·(N-1)/(n-1)), for i below n, from the top; the
 *       walk then ends at timestep 0 unless the spacing already does, and jumps to x0 there.
 *   <li>{@code exponential}, {@code polyexponential}: k-diffusion's, evenly in log sigma (the same
 *       grid as log-snr) and in log sigma along a ramp (1 - i/n)^rho, rho 1 by default as there.
 *   <li>{@code kl-optimal}: ComfyUI's, sigma = tan of atan(sigma) interpolated linearly.
 *   <li>{@code normal}, {@code sgm-uniform}: ComfyUI's, evenly in the model's time; both come out
 *       as uniform, since ComfyUI's normal visits sigma_min before its closing 0 and sgm_uniform
 *       does not, a difference our own end at the data time (with the jump to x0) absorbs.
 *   <li>{@code beta}: ComfyUI's (Lee et al., arXiv 2407.12173), noise fractions at the
 *       Beta(alpha, beta) quantiles of 1 - i/n; on a discrete table rounded to its timesteps, a
 *       step whose timestep repeats the one before dropped as ComfyUI drops it.
 *   <li>{@code beta-sigmas}: diffusers' use_beta_sigmas, the same quantiles as fractions of the
 *       way from sigma_min to sigma_max in sigma = sigma/alpha.
 *   <li>{@code linear-quadratic}: ComfyUI's (Mochi), a noise level falling linearly by 0.025 over
 *       the first n/2 steps, then quadratically to data, as a fraction of the noise end's sigma
 *       in the sigma of its schedules ({@link NoiseProcess#scheduleSigma}).
 *   <li>{@code simple}, {@code ddim-uniform}: ComfyUI's picks from a discrete table (and only
 *       there, since they are defined by its entries): every (N/n)-th timestep from the top, and
 *       every (N div n)-th up from timestep 1, whose count is n only when n divides N.
 *   <li>{@code ays}: the Align Your Steps table of a model family ({@link AlignYourSteps}), on a
 *       process whose sigma/alpha spans that family's range.
 * </ul>
 *
 * The sigma-space grids (karras, exponential, polyexponential, kl-optimal, beta-sigmas) take n+1
 * points from sigma_max to sigma_min, the reference's n+1 sigmas without its closing 0; the
 * others take the reference's n points above its closing 0 and end at the data time in its place.
 * A job's own list ({@link Listed}) is taken the same way: one value per step from the noise end,
 * closed at the data end.
 *
 * A {@code shift} s != 1 then moves every point's noise fraction u (1 at noise, 0 at data) to
 * s·u / (1 + (s-1)·u); for the linear interpolant u is sigma, so this is the timestep shift of
 * SD3 and diffusers' flow-matching schedulers. Karras and log-SNR grids need finite end points, so
 * their interior is laid out with the log-SNR clamped to ±{@link NoiseProcess#LOG_SNR_LIMIT}.
 *
 * @param kind null for the process's usual grid ({@link NoiseProcess#defaultGrid})
 * @param rho the karras and polyexponential exponent; NaN for the grid's own (7 and 1)
 * @param betaAlpha the beta grids' alpha; NaN for 0.6
 * @param betaBeta the beta grids' beta; NaN for 0.6
 * @param ays the ays grid's table; null unless that grid is chosen
 * @param listed the job's own sigmas or timesteps, which stand for the whole grid; or null
 */
public record TimeGrid(Kind kind, double rho, double shift, double betaAlpha, double betaBeta,
    AlignYourSteps.Family ays, Listed listed) {

  public enum Kind implements SamplerOption.Named {
    UNIFORM, KARRAS, LOG_SNR, LEADING, TRAILING, LINSPACE, EXPONENTIAL, POLYEXPONENTIAL,
    SGM_UNIFORM, SIMPLE, DDIM_UNIFORM, NORMAL, BETA, BETA_SIGMAS, LINEAR_QUADRATIC, KL_OPTIMAL,
    AYS;

    /** Whether this grid is laid on the timesteps of a discrete table (and only there). */
    public boolean onTable() {
      return this == LEADING || this == TRAILING || this == LINSPACE || this == SIMPLE
          || this == DDIM_UNIFORM;
    }

    @Override
    public String id() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  public static final TimeGrid DEFAULT = new TimeGrid(null, Double.NaN, 1.0);

  /** Of ComfyUI's beta scheduler and diffusers' beta sigmas, after Lee et al. */
  private static final double BETA_DEFAULT = 0.6;
  /** Karras et al.'s rho, and k-diffusion's and ComfyUI's for the polyexponential grid. */
  private static final double KARRAS_RHO = 7;
  private static final double POLYEXPONENTIAL_RHO = 1;
  /** How near a list's or table's end must come to the process's own (float32 and rounding). */
  private static final double END_TOLERANCE = 1e-3;

  public TimeGrid {
    if (!(rho > 0) && !Double.isNaN(rho)) {
      throw new InvalidJobException("rho must be > 0, got " + rho);
    }
    if (!(shift > 0)) {
      throw new InvalidJobException("shift must be > 0, got " + shift);
    }
    if (!(betaAlpha > 0) && !Double.isNaN(betaAlpha)
        || !(betaBeta > 0) && !Double.isNaN(betaBeta)) {
      throw new InvalidJobException("betaAlpha and betaBeta must be > 0, got " + betaAlpha
          + " and " + betaBeta);
    }
    if (listed != null && (kind != null || !Double.isNaN(rho) || shift != 1.0
        || !Double.isNaN(betaAlpha) || !Double.isNaN(betaBeta) || ays != null)) {
      throw new InvalidJobException(listed.option().id() + " are the grid itself; they take no"
          + " timeGrid, rho, shift, betaAlpha, betaBeta or aysModel");
    }
  }

  /** A grid of a kind, with the exponent and shift given and the other knobs their defaults. */
  public TimeGrid(Kind kind, double rho, double shift) {
    this(kind, rho, shift, Double.NaN, Double.NaN, null, null);
  }

  /** The job's own list, {@link SamplerOption#SIGMAS} or {@link SamplerOption#TIMESTEPS}. */
  public record Listed(SamplerOption option, List<Double> values) {}

  /**
   * steps + 1 times, from the process's noise time to its data time (table grids may start below
   * the noise time and have their own length).
   *
   * @throws InvalidJobException where the grid cannot be laid on this process with these steps
   */
  public double[] times(NoiseProcess process, int steps) {
    if (steps < 1) {
      throw new InvalidJobException("steps must be >= 1, got " + steps);
    }
    if (listed != null) {
      return listedTimes(process, steps);
    }
    Kind chosen = kind != null ? kind : process.defaultGrid();
    refuseUnread(chosen);
    if (chosen.onTable() || (chosen == Kind.BETA && process instanceof NoiseProcess.DiscreteVp)) {
      return tableTimes(chosen, process, steps);
    }
    double t0 = process.noiseTime();
    double t1 = process.dataTime();
    double[] t = new double[steps + 1];
    switch (chosen) {
      case UNIFORM, NORMAL, SGM_UNIFORM -> {
        for (int i = 0; i <= steps; i++) {
          t[i] = t0 + (t1 - t0) * i / steps;
        }
      }
      case KARRAS -> {
        double exponent = karrasRho();
        double hi = Math.pow(clampedEdmSigma(process, t0), 1 / exponent);
        double lo = Math.pow(clampedEdmSigma(process, t1), 1 / exponent);
        for (int i = 0; i <= steps; i++) {
          double sigma = Math.pow(hi + (lo - hi) * i / steps, exponent);
          t[i] = process.timeAtLogSnr(-Math.log(sigma));
        }
      }
      case LOG_SNR, EXPONENTIAL, POLYEXPONENTIAL -> {
        double exponent = chosen == Kind.POLYEXPONENTIAL && !Double.isNaN(rho) ? rho
            : POLYEXPONENTIAL_RHO;
        double from = clampedLogSnr(process, t0);
        double to = clampedLogSnr(process, t1);
        for (int i = 0; i <= steps; i++) {
          double ramp = Math.pow(1 - (double) i / steps, exponent);
          t[i] = process.timeAtLogSnr(to + (from - to) * ramp);
        }
      }
      case KL_OPTIMAL -> {
        double hi = Math.atan(clampedEdmSigma(process, t0));
        double lo = Math.atan(clampedEdmSigma(process, t1));
        for (int i = 0; i <= steps; i++) {
          double w = (double) i / steps;
          t[i] = process.timeAtLogSnr(-Math.log(Math.tan(w * lo + (1 - w) * hi)));
        }
      }
      case BETA -> {
        for (int i = 0; i < steps; i++) {
          t[i] = process.timeAtNoiseFraction(betaQuantile(1 - (double) i / steps, alpha(), beta()));
        }
      }
      case BETA_SIGMAS -> {
        double hi = clampedEdmSigma(process, t0);
        double lo = clampedEdmSigma(process, t1);
        for (int i = 0; i <= steps; i++) {
          double sigma = lo + betaQuantile(1 - (double) i / steps, alpha(), beta()) * (hi - lo);
          t[i] = process.timeAtLogSnr(-Math.log(sigma));
        }
      }
      case LINEAR_QUADRATIC -> {
        // ComfyUI scales the noise fractions by its sigma_max, in the sigma of its schedules.
        double top = Math.min(process.scheduleSigma(t0), Math.exp(NoiseProcess.LOG_SNR_LIMIT));
        double[] u = linearQuadratic(steps);
        for (int i = 0; i <= steps; i++) {
          t[i] = process.timeAtScheduleSigma(u[i] * top);
        }
      }
      case AYS -> {
        double[] sigmas = aysSigmas(process, steps);
        for (int i = 0; i < steps; i++) {
          t[i] = process.timeAtLogSnr(-Math.log(sigmas[i]));
        }
      }
      default -> throw new AssertionError();
    }
    t[0] = t0;
    t[steps] = t1;
    if (shift != 1.0) {
      for (int i = 1; i < steps; i++) {
        double u = process.noiseFraction(t[i]);
        t[i] = process.timeAtNoiseFraction(shift * u / (1 + (shift - 1) * u));
      }
    }
    // An extreme rho or shift overflows the grid's arithmetic (rho = 1e-300 raises sigma to
    // 1e300); left in, the sampling would fail on its non-finite times with a 422 that blames
    // the model's values instead.
    for (int i = 1; i < steps; i++) {
      if (!Double.isFinite(t[i]) || (t[i] - t[i - 1]) * (t1 - t0) < 0) {
        String by = chosen == Kind.KARRAS || chosen == Kind.POLYEXPONENTIAL
            ? "rho=" + rho + (shift == 1.0 ? "" : " and shift=" + shift) : "shift=" + shift;
        throw new InvalidJobException("time grid '" + chosen.id() + "' with " + by
            + " has non-finite or out-of-order times; choose a moderate value (the defaults are"
            + " rho=" + KARRAS_RHO + " for karras and " + POLYEXPONENTIAL_RHO
            + " for polyexponential, shift=" + DEFAULT.shift() + ")");
      }
    }
    double direction = Math.signum(t1 - t0);
    for (int i = 1; i <= steps; i++) {
      if (!(direction * (t[i] - t[i - 1]) > 0)) {
        throw new InvalidJobException("time grid '" + chosen.id() + "' cannot place " + steps
            + " distinct steps on this model's process (" + process.id() + "): steps "
            + (i - 1) + " and " + i + " fall together; use fewer steps");
      }
    }
    return t;
  }

  /** Refuses a knob that the chosen grid would silently ignore. */
  private void refuseUnread(Kind chosen) {
    String unread = !Double.isNaN(rho) && chosen != Kind.KARRAS && chosen != Kind.POLYEXPONENTIAL
        ? "rho shapes the karras and polyexponential grids"
        : (!Double.isNaN(betaAlpha) || !Double.isNaN(betaBeta)) && chosen != Kind.BETA
            && chosen != Kind.BETA_SIGMAS ? "betaAlpha and betaBeta shape the beta grids"
        : ays != null && chosen != Kind.AYS ? "aysModel picks the table of the ays grid"
        : null;
    if (unread != null) {
      throw new InvalidJobException(unread + "; time grid '" + chosen.id() + "' reads none");
    }
    if (chosen == Kind.AYS && ays == null) {
      throw new InvalidJobException("time grid 'ays' needs aysModel, one of "
          + Arrays.stream(AlignYourSteps.Family.values()).map(AlignYourSteps.Family::id).toList()
          + ": each of its tables is optimized for one model family");
    }
  }

  /**
   * The ays table's sigmas for these steps, on a process whose sigma/alpha runs over the table's
   * range (the family's own): the grid's end points are the process's, its interior the table's.
   */
  private double[] aysSigmas(NoiseProcess process, int steps) {
    double[] table = ays.table();
    double hi = process.edmSigma(process.noiseTime());
    double lo = process.edmSigma(process.dataTime());
    if (!near(table[0], hi) || !near(table[table.length - 1], lo)) {
      throw new InvalidJobException(String.format(Locale.ROOT, "the ays table of %s runs sigma"
          + " %.6g to %.6g, the range of that family; this model's process (%s) runs sigma/alpha"
          + " %.6g to %.6g: choose the aysModel of its family, or another grid", ays.id(),
          table[0], table[table.length - 1], process.id(), hi, lo));
    }
    return AlignYourSteps.sigmas(ays, steps + 1);
  }

  private static boolean near(double value, double end) {
    return Math.abs(value - end) <= END_TOLERANCE * Math.abs(end);
  }

  /**
   * The job's list as times: the first at the noise end, one per step, and the data end after
   * them (given as the list's last value, or implied as diffusers' flow schedulers imply it).
   */
  private double[] listedTimes(NoiseProcess process, int steps) {
    String name = listed.option().id();
    boolean sigmas = listed.option() == SamplerOption.SIGMAS;
    double t0 = process.noiseTime();
    double t1 = process.dataTime();
    double start = sigmas ? process.scheduleSigma(t0) : t0;
    double end = sigmas ? process.scheduleSigma(t1) : t1;
    List<Double> v = listed.values();
    int count = listedCount(process);
    String unit = sigmas ? "sigma " : "time ";
    if (count == 0 || (sigmas ? !near(v.get(0), start)
        : Math.abs(v.get(0) - start) > 1e-9 * Math.abs(t0 - t1))) {
      throw new InvalidJobException(String.format(Locale.ROOT, "%s must start at the noise end"
          + " of this model's process (%s), %s%.6g, where sampling starts; got %s", name,
          process.id(), unit, start, v.isEmpty() ? "none" : v.get(0)));
    }
    if (count != steps) {
      throw new InvalidJobException(name + " define " + count + " steps (one per value before"
          + " the data end) and steps is " + steps + ": leave steps out or make it " + count);
    }
    double direction = Math.signum(end - start);
    double[] t = new double[steps + 1];
    t[0] = t0;
    for (int i = 1; i < count; i++) {
      double value = v.get(i);
      if (!(direction * (value - v.get(i - 1)) > 0)) {
        throw new InvalidJobException(String.format(Locale.ROOT, "%s must run strictly from"
            + " the noise end %.6g towards the data end %.6g; %s[%d] = %s follows %s", name,
            start, end, name, i, value, v.get(i - 1)));
      }
      if (!(direction * (end - value) > 0)) {
        throw new InvalidJobException(String.format(Locale.ROOT, "%s[%d] = %s is at or past"
            + " the data end of this model's process (%s), %s%.6g; only the last value may"
            + " close the list there%s", name, i, value, process.id(), unit, end,
            sigmas ? " (or at 0)" : ""));
      }
      t[i] = sigmas ? process.timeAtScheduleSigma(value) : value;
    }
    t[steps] = t1;
    return t;
  }

  /** The exponent of Karras et al.'s sigma spacing: the one given, else 7. */
  public double karrasRho() {
    return Double.isNaN(rho) ? KARRAS_RHO : rho;
  }

  /** The number of steps that the job's list defines on this process; empty without a list. */
  public OptionalInt listedSteps(NoiseProcess process) {
    return listed == null ? OptionalInt.empty()
        : OptionalInt.of(Math.max(1, listedCount(process)));
  }

  /** The list's values before the data end: all, or all but a last one that closes it there. */
  private int listedCount(NoiseProcess process) {
    List<Double> v = listed.values();
    if (v.isEmpty()) {
      return 0;
    }
    double last = v.get(v.size() - 1);
    boolean closes = listed.option() == SamplerOption.SIGMAS
        ? last == 0 || near(last, process.scheduleSigma(process.dataTime()))
        : Math.abs(last - process.dataTime())
            <= 1e-9 * Math.abs(process.noiseTime() - process.dataTime());
    return closes ? v.size() - 1 : v.size();
  }

  private double[] tableTimes(Kind chosen, NoiseProcess process, int steps) {
    if (!(process instanceof NoiseProcess.DiscreteVp table)) {
      throw new InvalidJobException("time grid '" + chosen.id() + "' steps on the timesteps of a"
          + " discrete schedule; this model's process is " + process.id()
          + ": use uniform, karras or log-snr");
    }
    if (shift != 1.0) {
      throw new InvalidJobException("shift moves continuous grids; time grid '" + chosen.id()
          + "' lies on the schedule's timesteps");
    }
    int n = table.timesteps();
    double[] t = chosen == Kind.DDIM_UNIFORM ? ddimUniform(n, steps)
        : spacedOnTable(chosen, table, steps);
    if (chosen == Kind.BETA) {
      // As ComfyUI: where the quantiles crowd (near both ends), steps that round to the same
      // timestep are one step.
      t = Arrays.stream(t).distinct().toArray();
    }
    for (int i = 0; i < t.length; i++) {
      if (t[i] > n - 1 || (i > 0 && !(t[i] < t[i - 1]))) {
        throw new InvalidJobException("time grid '" + chosen.id() + "' cannot place " + steps
            + " steps on " + n + " timesteps (steps_offset " + table.stepsOffset() + ")");
      }
    }
    if (t[t.length - 1] == 0) {
      return t;
    }
    double[] ended = Arrays.copyOf(t, t.length + 1);
    ended[t.length] = 0;
    return ended;
  }

  /** One timestep per step, from the top down; i counts up from the bottom. */
  private double[] spacedOnTable(Kind chosen, NoiseProcess.DiscreteVp table, int steps) {
    int n = table.timesteps();
    double[] t = new double[steps];
    for (int i = 0; i < steps; i++) {
      t[steps - 1 - i] = switch (chosen) {
        case LEADING -> i * (n / steps) + table.stepsOffset();
        case TRAILING -> Math.rint(n - (steps - 1 - i) * ((double) n / steps)) - 1;
        case LINSPACE -> steps == 1 ? 0 : Math.rint(i * (n - 1.0) / (steps - 1));
        case SIMPLE -> n - 1 - Math.floor((steps - 1 - i) * ((double) n / steps));
        case BETA -> Math.rint(
            betaQuantile(1 - (double) (steps - 1 - i) / steps, alpha(), beta()) * (n - 1));
        default -> throw new AssertionError(chosen);
      };
    }
    return t;
  }

  /**
   * ComfyUI's ddim_uniform: every (N div n)-th timestep counted up from timestep 1, so its length
   * is ceil((N-1)/(N div n)), which is n only when n divides N.
   */
  private static double[] ddimUniform(int n, int steps) {
    int stride = Math.max(n / steps, 1);
    int count = (n - 2) / stride + 1;
    double[] t = new double[count];
    for (int i = 0; i < count; i++) {
      t[count - 1 - i] = 1 + i * stride;
    }
    return t;
  }

  /**
   * Noise fractions of ComfyUI's linear_quadratic_schedule (Mochi): the first steps/2 steps fall
   * linearly to a noise drop of 0.025, the rest follow the quadratic that meets that line with
   * the same slope and reaches data at the last step.
   */
  private static double[] linearQuadratic(int steps) {
    double[] u = new double[steps + 1];
    if (steps == 1) {
      u[0] = 1;
      return u;
    }
    double threshold = 0.025;
    int linear = steps / 2;
    int quadratic = steps - linear;
    double excess = linear - threshold * steps;
    double a = excess / (linear * (double) quadratic * quadratic);
    double b = threshold / linear - 2 * excess / ((double) quadratic * quadratic);
    double c = a * linear * linear;
    for (int i = 0; i < steps; i++) {
      u[i] = 1 - (i < linear ? i * threshold / linear : a * i * i + b * i + c);
    }
    return u;
  }

  private double alpha() {
    return Double.isNaN(betaAlpha) ? BETA_DEFAULT : betaAlpha;
  }

  private double beta() {
    return Double.isNaN(betaBeta) ? BETA_DEFAULT : betaBeta;
  }

  /** The p-quantile of Beta(a, b): bisection, since the CDF is monotone. */
  static double betaQuantile(double p, double a, double b) {
    if (p <= 0 || p >= 1) {
      return p <= 0 ? 0 : 1;
    }
    double lo = 0;
    double hi = 1;
    for (int i = 0; i < 200 && hi - lo > 1e-15; i++) {
      double mid = 0.5 * (lo + hi);
      if (regularizedBeta(mid, a, b) < p) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return 0.5 * (lo + hi);
  }

  /**
   * I_x(a, b) by its continued fraction (modified Lentz), evaluated on the side of the mean where
   * it converges quickly and mirrored through I_x(a, b) = 1 - I_{1-x}(b, a) otherwise.
   */
  static double regularizedBeta(double x, double a, double b) {
    if (x <= 0 || x >= 1) {
      return x <= 0 ? 0 : 1;
    }
    if (x > (a + 1) / (a + b + 2)) {
      return 1 - regularizedBeta(1 - x, b, a);
    }
    double logFront = a * Math.log(x) + b * Math.log1p(-x) - Math.log(a) - logBeta(a, b);
    double tiny = 1e-300;
    double f = tiny;
    double c = f;
    double d = 0;
    for (int m = 0; m < 500; m++) {
      for (int half = 0; half < 2; half++) {
        double numerator;
        if (m == 0 && half == 0) {
          numerator = 1;
        } else if (half == 0) {
          numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
        } else {
          numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
        }
        d = 1 + numerator * d;
        d = 1 / (Math.abs(d) < tiny ? tiny : d);
        c = 1 + numerator / c;
        c = Math.abs(c) < tiny ? tiny : c;
        double delta = c * d;
        f *= delta;
        if (Math.abs(delta - 1) < 1e-15) {
          return Math.exp(logFront) * f;
        }
      }
    }
    return Math.exp(logFront) * f;
  }

  private static double logBeta(double a, double b) {
    return logGamma(a) + logGamma(b) - logGamma(a + b);
  }

  /** Lanczos (g = 7, n = 9), accurate to about 1e-15 for the positive arguments used here. */
  private static double logGamma(double x) {
    if (x < 0.5) {
      return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
    }
    double[] g = {0.99999999999980993, 676.5203681218851, -1259.1392167224028,
        771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
        9.9843695780195716e-6, 1.5056327351493116e-7};
    double z = x - 1;
    double sum = g[0];
    for (int i = 1; i < g.length; i++) {
      sum += g[i] / (z + i);
    }
    double t = z + 7.5;
    return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
  }

  private static double clampedLogSnr(NoiseProcess process, double t) {
    double limit = NoiseProcess.LOG_SNR_LIMIT;
    return Math.max(-limit, Math.min(limit, process.logSnr(t)));
  }

  private static double clampedEdmSigma(NoiseProcess process, double t) {
    return Math.exp(-clampedLogSnr(process, t));
  }

  /**
   * Moves a grid's first point off a pure-noise end (alpha = 0, log-SNR = -inf) to where the log-SNR
   * is -{@link NoiseProcess#LOG_SNR_LIMIT}, for samplers whose update is singular there.
   */
  public static double[] withFiniteStart(NoiseProcess process, double[] times) {
    if (process.logSnr(times[0]) >= -NoiseProcess.LOG_SNR_LIMIT) {
      return times;
    }
    double[] out = times.clone();
    out[0] = process.timeAtLogSnr(-NoiseProcess.LOG_SNR_LIMIT);
    return out;
  }
}
