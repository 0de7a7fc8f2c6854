package dev.streamline.sampler.ode;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import dev.streamline.sampler.Denoiser;
import dev.streamline.sampler.Sampler;
import dev.streamline.sampler.SamplerOption;
import dev.streamline.sampler.SamplerOptions;
import dev.streamline.sampler.SamplingContext;
import dev.streamline.sampler.SamplingException;
import dev.streamline.sampler.StepScope;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Embedded Runge–Kutta pairs with error control. Each sample keeps its own time, step size and
 * error history, so one hard sample does not force small steps on the others; a finished sample
 * leaves the batch, so later evaluations only carry the samples still moving. With
 * {@code batchErrorControl} the whole batch shares one error norm and step, as in torchdiffeq.
 */
public final class AdaptiveRungeKutta implements Sampler {

  static final double DEFAULT_RTOL = 1e-5;
  static final double DEFAULT_ATOL = 1e-5;
  static final int DEFAULT_MAX_NFE = 10_000;

  private final ButcherTableau tableau;
  private final StepSizeController controller;

  public AdaptiveRungeKutta(ButcherTableau tableau) {
    if (!tableau.embedded()) {
      throw new IllegalArgumentException(tableau.id() + " has no embedded error estimate");
    }
    this.tableau = tableau;
    this.controller = StepSizeController.forErrorOrder(tableau.errorOrder());
  }

  /** The rows still integrating: their sample ids, times, step sizes and previous errors. */
  private static final class Rows {
    int[] ids;
    double[] t;
    double[] h;
    double[] previousError;
  }

  @Override
  public NDArray sample(SamplingContext context, NDArray x) {
    SamplerOptions o = context.options();
    double rtol = o.number(SamplerOption.RTOL, DEFAULT_RTOL);
    double atol = o.number(SamplerOption.ATOL, DEFAULT_ATOL);
    int maxNfe = o.integer(SamplerOption.MAX_NFE, DEFAULT_MAX_NFE);
    double start = context.process().noiseTime();
    double end = context.process().dataTime();
    double interval = Math.abs(end - start);
    double direction = Math.signum(end - start);
    double minStep = o.number(SamplerOption.MIN_STEP, Double.MIN_NORMAL);
    double maxStep = Math.min(o.number(SamplerOption.MAX_STEP, interval), interval);
    Denoiser denoiser = context.denoiser();

    int n = (int) x.getShape().get(0);
    Rows rows = new Rows();
    rows.ids = new int[n];
    Arrays.setAll(rows.ids, i -> i);
    rows.t = new double[n];
    Arrays.fill(rows.t, start);
    rows.previousError = new double[n];
    Arrays.fill(rows.previousError, 1.0);

    NDArray first;
    try (StepScope scope = context.scope()) {
      scope.borrow(x);
      first = scope.keep(denoiser.velocity(x, rows.t, rows.ids));
      rows.h = initialSteps(denoiser, x, first, rows, rtol, atol, direction, interval, o);
      for (int i = 0; i < n; i++) {
        rows.h[i] = Math.max(minStep, Math.min(maxStep, rows.h[i]));
      }
    }

    List<NDArray> finished = new ArrayList<>();
    List<int[]> finishedIds = new ArrayList<>();
    int accepted = 0;
    while (rows.ids.length > 0) {
      if (denoiser.evaluations() + tableau.stages() > maxNfe) {
        throw new SamplingException(String.format(
            "%s needs more than maxNfe=%d network evaluations: %d of %d samples have not reached"
                + " t=%s (furthest behind at t=%.6g); raise maxNfe or loosen rtol/atol",
            tableau.id(), maxNfe, rows.ids.length, n, end, behind(rows.t, direction)));
      }
      try (StepScope scope = context.scope(x, first)) {
        int m = rows.ids.length;
        double[] h = new double[m];
        for (int i = 0; i < m; i++) {
          h[i] = direction * Math.min(rows.h[i], Math.abs(end - rows.t[i]));
        }
        NDArray hColumn = RungeKutta.column(h, x);
        NDArray[] k = RungeKutta.stages(denoiser, tableau, x, rows.t, h, hColumn, rows.ids, first);
        NDArray next = RungeKutta.advance(x, hColumn, k, tableau.b());
        NDArray low = RungeKutta.advance(x, hColumn, k, tableau.bLow());
        double[] error = errorNorms(next.sub(low), x, next, rtol, atol,
            o.flag(SamplerOption.BATCH_ERROR_CONTROL));

        boolean[] accept = new boolean[m];
        boolean[] done = new boolean[m];
        int doneCount = 0;
        for (int i = 0; i < m; i++) {
          accept[i] = error[i] <= 1.0;
          double step = Math.abs(h[i]);
          if (!accept[i] && step <= Math.max(minStep, resolution(rows.t[i], interval))) {
            throw new SamplingException(Double.isFinite(error[i])
                ? String.format("%s step size fell below minStep=%.3g at t=%.6g for sample %d;"
                    + " lower minStep or loosen rtol/atol", tableau.id(), minStep, rows.t[i],
                    rows.ids[i])
                : String.format("%s met non-finite velocities just past t=%.6g for sample %d,"
                    + " however small the step; lower the guidance, enable the x0 clip, or check"
                    + " the latents", tableau.id(), rows.t[i], rows.ids[i]));
          }
          double factor = controller.factor(error[i], rows.previousError[i], accept[i]);
          if (accept[i]) {
            rows.t[i] = Math.abs(end - rows.t[i]) <= step ? end : rows.t[i] + h[i];
            rows.previousError[i] = Math.max(error[i], 1e-10);
            done[i] = rows.t[i] == end;
            doneCount += done[i] ? 1 : 0;
          }
          rows.h[i] = Math.max(minStep, Math.min(maxStep, step * factor));
        }
        NDArray acceptMask = mask(accept, x);
        NDArray state = NDArrays.where(acceptMask, next, x);
        NDArray derivative = tableau.fsal()
            ? NDArrays.where(acceptMask, k[k.length - 1], k[0])
            : null;
        accepted++;
        scope.publish(state, accepted, rows.t.clone(), rows.ids.clone());
        if (doneCount > 0) {
          finishedIds.add(select(rows.ids, done, true));
          finished.add(scope.keep(state.get(indexOf(done, true, state))));
          NDArray remaining = indexOf(done, false, state);
          x = scope.keep(state.get(remaining));
          first = derivative == null ? null : scope.keep(derivative.get(remaining));
          compact(rows, done);
        } else {
          x = scope.keep(state);
          first = derivative == null ? null : scope.keep(derivative);
        }
      }
    }
    return assemble(context, finished, finishedIds, n);
  }

  /** Hairer's starting step per row, using the first derivative and one trial evaluation. */
  private double[] initialSteps(Denoiser denoiser, NDArray x, NDArray f0, Rows rows, double rtol,
      double atol, double direction, double interval, SamplerOptions o) {
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
      t1[i] = rows.t[i] + signed[i];
    }
    NDArray x1 = x.add(f0.mul(RungeKutta.column(signed, x)));
    NDArray f1 = denoiser.velocity(x1, t1, rows.ids);
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

  private static NDArray indexOf(boolean[] flags, boolean wanted, NDArray like) {
    long[] index = new long[flags.length];
    int count = 0;
    for (int i = 0; i < flags.length; i++) {
      if (flags[i] == wanted) {
        index[count++] = i;
      }
    }
    return like.getManager().create(Arrays.copyOf(index, count));
  }

  private static int[] select(int[] values, boolean[] flags, boolean wanted) {
    int[] out = new int[values.length];
    int count = 0;
    for (int i = 0; i < values.length; i++) {
      if (flags[i] == wanted) {
        out[count++] = values[i];
      }
    }
    return Arrays.copyOf(out, count);
  }

  private static double[] select(double[] values, boolean[] flags, boolean wanted) {
    double[] out = new double[values.length];
    int count = 0;
    for (int i = 0; i < values.length; i++) {
      if (flags[i] == wanted) {
        out[count++] = values[i];
      }
    }
    return Arrays.copyOf(out, count);
  }

  private static void compact(Rows rows, boolean[] done) {
    rows.t = select(rows.t, done, false);
    rows.h = select(rows.h, done, false);
    rows.previousError = select(rows.previousError, done, false);
    rows.ids = select(rows.ids, done, false);
  }

  /**
   * The smallest step that still means something: a few units in the last place of t, as in
   * scipy's solvers, but at least of the interval's, so a stall near t = 0 ends as soon.
   */
  private static double resolution(double t, double interval) {
    return 10 * Math.ulp(Math.max(Math.abs(t), interval));
  }

  private static double behind(double[] t, double direction) {
    double worst = t[0];
    for (double v : t) {
      worst = direction > 0 ? Math.min(worst, v) : Math.max(worst, v);
    }
    return worst;
  }

  /** Puts the finished blocks back in sample order. */
  private static NDArray assemble(SamplingContext context, List<NDArray> blocks, List<int[]> ids,
      int n) {
    long[] position = new long[n];
    int offset = 0;
    for (int[] block : ids) {
      for (int id : block) {
        position[id] = offset++;
      }
    }
    try (StepScope scope = context.scope(blocks.toArray(new NDArray[0]))) {
      NDArray all = NDArrays.concat(new NDList(blocks));
      return scope.keep(all.get(all.getManager().create(position)));
    }
  }
}
