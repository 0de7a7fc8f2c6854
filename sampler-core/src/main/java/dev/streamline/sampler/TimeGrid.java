package dev.streamline.sampler;

import java.util.Arrays;
import java.util.Locale;

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
 * </ul>
 *
 * A {@code shift} s != 1 then moves every point's noise fraction u (1 at noise, 0 at data) to
 * s·u / (1 + (s-1)·u); for the linear interpolant u is sigma, so this is the timestep shift of
 * SD3 and diffusers' flow-matching schedulers. Karras and log-SNR grids need finite end points, so
 * their interior is laid out with the log-SNR clamped to ±{@link NoiseProcess#LOG_SNR_LIMIT}.
 *
 * @param kind null for the process's usual grid ({@link NoiseProcess#defaultGrid})
 */
public record TimeGrid(Kind kind, double rho, double shift) {

  public enum Kind {
    UNIFORM, KARRAS, LOG_SNR, LEADING, TRAILING, LINSPACE;

    /** Whether this grid is laid on the timesteps of a discrete table. */
    public boolean onTable() {
      return this == LEADING || this == TRAILING || this == LINSPACE;
    }

    public String id() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Kind fromId(String id) {
      for (Kind k : values()) {
        if (k.id().equals(id)) {
          return k;
        }
      }
      throw new InvalidJobException("unknown time grid '" + id + "'; expected one of "
          + Arrays.stream(values()).map(Kind::id).toList());
    }
  }

  public static final TimeGrid DEFAULT = new TimeGrid(null, 7.0, 1.0);

  public TimeGrid {
    if (!(rho > 0)) {
      throw new InvalidJobException("rho must be > 0, got " + rho);
    }
    if (!(shift > 0)) {
      throw new InvalidJobException("shift must be > 0, got " + shift);
    }
  }

  /** steps + 1 times, from the process's noise time to its data time. */
  public double[] times(NoiseProcess process, int steps) {
    if (steps < 1) {
      throw new InvalidJobException("steps must be >= 1, got " + steps);
    }
    Kind chosen = kind != null ? kind : process.defaultGrid();
    if (chosen.onTable()) {
      return tableTimes(chosen, process, steps);
    }
    double t0 = process.noiseTime();
    double t1 = process.dataTime();
    double[] t = new double[steps + 1];
    switch (chosen) {
      case UNIFORM -> {
        for (int i = 0; i <= steps; i++) {
          t[i] = t0 + (t1 - t0) * i / steps;
        }
      }
      case KARRAS -> {
        double hi = Math.pow(clampedEdmSigma(process, t0), 1 / rho);
        double lo = Math.pow(clampedEdmSigma(process, t1), 1 / rho);
        for (int i = 0; i <= steps; i++) {
          double sigma = Math.pow(hi + (lo - hi) * i / steps, rho);
          t[i] = process.timeAtLogSnr(-Math.log(sigma));
        }
      }
      case LOG_SNR -> {
        double from = clampedLogSnr(process, t0);
        double to = clampedLogSnr(process, t1);
        for (int i = 0; i <= steps; i++) {
          t[i] = process.timeAtLogSnr(from + (to - from) * i / steps);
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
    return t;
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
    double[] t = new double[steps];
    for (int i = 0; i < steps; i++) {
      t[steps - 1 - i] = switch (chosen) {
        case LEADING -> i * (n / steps) + table.stepsOffset();
        case TRAILING -> Math.rint(n - (steps - 1 - i) * ((double) n / steps)) - 1;
        case LINSPACE -> steps == 1 ? 0 : Math.rint(i * (n - 1.0) / (steps - 1));
        default -> throw new AssertionError(chosen);
      };
    }
    for (int i = 0; i < steps; i++) {
      if (t[i] > n - 1 || (i > 0 && !(t[i] < t[i - 1]))) {
        throw new InvalidJobException("time grid '" + chosen.id() + "' cannot place " + steps
            + " steps on " + n + " timesteps (steps_offset " + table.stepsOffset() + ")");
      }
    }
    if (t[steps - 1] == 0) {
      return t;
    }
    double[] ended = java.util.Arrays.copyOf(t, steps + 1);
    ended[steps] = 0;
    return ended;
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
