package dev.streamline.sampler.ode;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import dev.streamline.sampler.Diagnostics;
import dev.streamline.sampler.SamplerOption;
import dev.streamline.sampler.SamplerOptions;
import dev.streamline.sampler.SamplingException;
import dev.streamline.sampler.SamplingLoop;
import dev.streamline.sampler.StepMethod;
import dev.streamline.sampler.VectorField;
import java.util.Arrays;

/**
 * Embedded Runge–Kutta pairs with error control. Each sample keeps its own time, step size and
 * error history, so one hard sample does not force small steps on the others; a finished sample
 * leaves the batch, so later evaluations only carry the samples still moving. With
 * {@code batchErrorControl} the whole batch shares one error norm and step, as in torchdiffeq.
 */
public final class AdaptiveRungeKutta implements StepMethod {

  static final double DEFAULT_RTOL = 1e-5;
  static final double DEFAULT_ATOL = 1e-5;
  static final int DEFAULT_MAX_NFE = 10_000;

  private final ButcherTableau tableau;
  private final StepSizeController controller;
  /** Two stages at one node, whose difference estimates the Jacobian's norm; null for none. */
  private final int[] stiffnessPair;

  public AdaptiveRungeKutta(ButcherTableau tableau) {
    if (!tableau.embedded()) {
      throw new IllegalArgumentException(tableau.id() + " has no embedded error estimate");
    }
    this.tableau = tableau;
    this.controller = StepSizeController.forErrorOrder(tableau.errorOrder());
    this.stiffnessPair = sameNode(tableau);
  }

  /** The last two stages evaluated at one node (DOPRI5's sixth and seventh), or null. */
  private static int[] sameNode(ButcherTableau tableau) {
    double[] c = tableau.c();
    for (int j = c.length - 1; j > 0; j--) {
      for (int i = j - 1; i >= 0; i--) {
        if (c[i] == c[j] && i > 0) {
          return new int[] {i, j};
        }
      }
    }
    return null;
  }

  @Override
  public NDArray run(SamplingLoop loop, NDArray x) {
    SamplerOptions o = loop.options();
    double rtol = o.number(SamplerOption.RTOL, DEFAULT_RTOL);
    double atol = o.number(SamplerOption.ATOL, DEFAULT_ATOL);
    int maxNfe = o.integer(SamplerOption.MAX_NFE, DEFAULT_MAX_NFE);
    double start = loop.from();
    double end = loop.to();
    double interval = Math.abs(end - start);
    double direction = Math.signum(end - start);
    double minStep = o.number(SamplerOption.MIN_STEP, Double.MIN_NORMAL);
    double maxStep = Math.min(o.number(SamplerOption.MAX_STEP, interval), interval);
    VectorField field = loop.field();
    Diagnostics diagnostics = loop.diagnostics();
    ActiveRows rows = new ActiveRows(x, start, end, minStep, maxStep);

    try (SamplingLoop.Scope scope = loop.scope()) {
      scope.borrow(x);
      NDArray first = scope.keep(field.at(x, rows.times(), rows.ids()));
      rows.start(first, initialSteps(field, x, first, rows, rtol, atol, direction, interval, o));
    }
    int accepted = 0;
    while (rows.size() > 0) {
      if (loop.denoiser().evaluations() + tableau.stages() > maxNfe) {
        throw new SamplingException(String.format(
            "%s needs more than maxNfe=%d network evaluations: %d of %d samples have not reached"
                + " t=%s (furthest behind at t=%.6g); raise maxNfe or loosen rtol/atol",
            tableau.id(), maxNfe, rows.size(), rows.count(), end, rows.behind()));
      }
      try (SamplingLoop.Scope scope = loop.scope(rows.state(), rows.derivative())) {
        x = rows.state();
        double[] h = rows.nextSteps();
        NDArray hColumn = RungeKutta.column(h, x);
        NDArray[] k = RungeKutta.stages(field, tableau, x, rows.times(), h, hColumn,
            rows.ids(), rows.derivative());
        NDArray next = RungeKutta.advance(x, hColumn, k, tableau.b());
        NDArray low = RungeKutta.advance(x, hColumn, k, tableau.bLow());
        double[] error = errorNorms(next.sub(low), x, next, rtol, atol,
            o.flag(SamplerOption.BATCH_ERROR_CONTROL));
        double[] stiffness = diagnostics == null ? null : stiffness(x, hColumn, k, next, h);
        boolean[] accept = new boolean[h.length];
        for (int i = 0; i < h.length; i++) {
          accept[i] = error[i] <= 1.0;
          double t = rows.times()[i];
          if (!accept[i] && Math.abs(h[i]) <= Math.max(minStep, resolution(t, interval))) {
            throw new SamplingException(Double.isFinite(error[i])
                ? String.format("%s step size fell below minStep=%.3g at t=%.6g for sample %d;"
                    + " lower minStep or loosen rtol/atol", tableau.id(), minStep, t,
                    rows.ids()[i])
                : String.format("%s met non-finite velocities just past t=%.6g for sample %d,"
                    + " however small the step; lower the guidance, enable the x0 clip, or check"
                    + " the latents", tableau.id(), t, rows.ids()[i]));
          }
          if (diagnostics != null) {
            diagnostics.attempted(rows.ids()[i], Math.abs(h[i]), error[i], accept[i],
                stiffness == null ? Double.NaN : stiffness[i]);
          }
          rows.attempted(i, h[i], error[i], accept[i],
              controller.factor(error[i], rows.previousError(i), accept[i]));
        }
        NDArray acceptMask = mask(accept, x);
        NDArray state = NDArrays.where(acceptMask, next, x);
        NDArray derivative = tableau.fsal()
            ? NDArrays.where(acceptMask, k[k.length - 1], k[0])
            : null;
        scope.publish(state, ++accepted, rows.times().clone(), rows.ids().clone());
        rows.advance(scope, state, derivative);
      }
    }
    return rows.assemble(loop);
  }

  /**
   * Hairer's stiffness estimate h·|λ| per row (Hairer &amp; Wanner II, IV.2): two stages at one
   * node differ by about J·(their arguments' difference), so h·‖k_j − k_i‖/‖y_j − y_i‖ estimates
   * h times the Jacobian's dominant eigenvalue; null when the tableau has no such pair.
   */
  private double[] stiffness(NDArray x, NDArray hColumn, NDArray[] k, NDArray next, double[] h) {
    if (stiffnessPair == null) {
      return null;
    }
    int i = stiffnessPair[0];
    int j = stiffnessPair[1];
    NDArray yi = RungeKutta.advance(x, hColumn, k, tableau.a()[i]);
    NDArray yj = j == tableau.stages() - 1 && tableau.fsal() ? next
        : RungeKutta.advance(x, hColumn, k, tableau.a()[j]);
    double[] slope = rms(k[j].sub(k[i]));
    double[] spread = rms(yj.sub(yi));
    double[] out = new double[h.length];
    for (int r = 0; r < out.length; r++) {
      out[r] = spread[r] > 0 ? Math.abs(h[r]) * slope[r] / spread[r] : 0;
    }
    return out;
  }

  /** Hairer's starting step per row, using the first derivative and one trial evaluation. */
  private double[] initialSteps(VectorField field, NDArray x, NDArray f0, ActiveRows rows,
      double rtol, double atol, double direction, double interval, SamplerOptions o) {
    NDArray scale = x.abs().mul(rtol).add(atol);
    double[] d0 = rms(x.div(scale));
    double[] d1 = rms(f0.div(scale));
    int n = d0.length;
    double[] h0 = new double[n];
    for (int i = 0; i < n; i++) {
      h0[i] = StepSizeController.trialStep(d0[i], d1[i], interval);
    }
    if (o.flag(SamplerOption.BATCH_ERROR_CONTROL)) {
      double min = Arrays.stream(h0).min().orElse(interval);
      Arrays.fill(h0, min);
    }
    double[] signed = h0.clone();
    double[] t1 = new double[n];
    for (int i = 0; i < n; i++) {
      signed[i] *= direction;
      t1[i] = rows.times()[i] + signed[i];
    }
    NDArray x1 = x.add(f0.mul(RungeKutta.column(signed, x)));
    NDArray f1 = field.at(x1, t1, rows.ids());
    double[] d2 = rms(f1.sub(f0).div(scale));
    double[] h = new double[n];
    for (int i = 0; i < n; i++) {
      h[i] = StepSizeController.initialStep(d1[i], h0[i], d2[i] / h0[i],
          tableau.order(), interval);
    }
    if (o.flag(SamplerOption.BATCH_ERROR_CONTROL)) {
      double min = Arrays.stream(h).min().orElse(interval);
      Arrays.fill(h, min);
    }
    return h;
  }

  /** Scaled RMS error per row (or the batch RMS for every row). */
  private static double[] errorNorms(NDArray error, NDArray before, NDArray after, double rtol,
      double atol, boolean batch) {
    NDArray scale = before.abs().maximum(after.abs()).mul(rtol).add(atol);
    double[] perRow = rms(error.div(scale));
    if (batch) {
      double sum = 0;
      for (double e : perRow) {
        sum += e * e;
      }
      Arrays.fill(perRow, Math.sqrt(sum / perRow.length));
    }
    return perRow;
  }

  private static double[] rms(NDArray rows) {
    long n = rows.getShape().get(0);
    return rows.reshape(n, -1).square().mean(new int[] {1}).sqrt()
        .toType(DataType.FLOAT64, false).toDoubleArray();
  }

  private static NDArray mask(boolean[] flags, NDArray like) {
    double[] values = new double[flags.length];
    for (int i = 0; i < flags.length; i++) {
      values[i] = flags[i] ? 1 : 0;
    }
    return RungeKutta.column(values, like).gt(0.5).broadcast(like.getShape());
  }

  /**
   * The smallest step that still means something: a few units in the last place of t, as in
   * scipy's solvers, but at least of the interval's, so a stall near t = 0 ends as soon.
   */
  private static double resolution(double t, double interval) {
    return 10 * Math.ulp(Math.max(Math.abs(t), interval));
  }
}
