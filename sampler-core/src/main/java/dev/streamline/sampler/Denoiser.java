package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The model as samplers see it: answers (x0, eps) at per-sample times, with classifier-free
 * guidance and the x0 guard applied, and counts network evaluations. Samplers never call a
 * {@link Model} directly.
 */
public final class Denoiser {

  private final Model model;
  private final int[] labels;
  private final double guidance;
  private final X0Guard guard;
  private final Diagnostics diagnostics;
  private int evaluations;

  /**
   * @param labels one class per sample, or null for an unconditional model
   * @param guidance classifier-free guidance scale w (1 = plain conditional prediction)
   */
  public Denoiser(Model model, int[] labels, double guidance, X0Guard guard) {
    this(model, labels, guidance, guard, null);
  }

  /** @param diagnostics records every evaluation's rows and the guard's acts; null for none */
  Denoiser(Model model, int[] labels, double guidance, X0Guard guard, Diagnostics diagnostics) {
    this.model = model;
    this.labels = labels;
    this.guidance = guidance;
    this.guard = guard;
    this.diagnostics = diagnostics;
  }

  /** The field and its divergence ∇·v [B] at a time per row. */
  public record Flow(NDArray velocity, NDArray divergence) {}

  public NoiseProcess process() {
    return model.process();
  }

  /** Network evaluations so far; a guided evaluation is one batched call. */
  public int evaluations() {
    return evaluations;
  }

  /** The estimate at one shared time for every row of x (rows are samples 0..B-1). */
  public Estimate estimate(NDArray x, double t) {
    double[] times = new double[(int) x.getShape().get(0)];
    java.util.Arrays.fill(times, t);
    return estimate(x, times, null);
  }

  /**
   * The estimate at a time per row.
   *
   * @param rows which samples of the request the rows of x are (null: all, in order)
   */
  public Estimate estimate(NDArray x, double[] t, int[] rows) {
    return estimate(x, t, rows, Coefficients.of(model.process(), t, x));
  }

  /** The probability-flow ODE field dx/dt at a time per row; rows as in {@link #estimate}. */
  public NDArray velocity(NDArray x, double[] t, int[] rows) {
    if (model.parameterization() == Parameterization.VELOCITY
        && guard.kind() == X0Guard.Kind.NONE) {
      // The model answers dx/dt itself: a round trip through (x0, eps) would only cost a dozen
      // array operations per evaluation (the sampler's overhead on small networks) and rounding.
      NDArray prediction = predict(x, t, rowLabels(rows));
      counted(x, rows);
      return prediction;
    }
    Coefficients c = Coefficients.of(model.process(), t, x);
    return estimate(x, t, rows, c).velocity(c);
  }

  /**
   * The probability-flow field and its divergence, for likelihoods: v = a·x + b·prediction
   * ({@link Parameterization#velocityCoefficients}), so ∇·v = a·d + b·tr(∂prediction/∂x), the
   * trace summed over the probes given. The x0 guard does not apply: it would change the ODE.
   *
   * @param probes [B, K, ...sampleShape] ({@link Divergence})
   */
  public Flow flow(NDArray x, double[] t, int[] rows, NDArray probes) {
    Coefficients c = Coefficients.of(model.process(), t, x);
    NDArray[] ab = model.parameterization().velocityCoefficients(c);
    JacobianTrace.Traced traced = traced(x, t, rowLabels(rows), probes);
    counted(x, rows);
    long batch = x.getShape().get(0);
    long dimension = x.getShape().size() / batch;
    NDArray velocity = x.mul(ab[0]).add(traced.prediction().mul(ab[1]));
    NDArray divergence = traced.trace().mul(ab[1].reshape(batch))
        .add(ab[0].reshape(batch).mul(dimension));
    return new Flow(velocity, divergence);
  }

  private Estimate estimate(NDArray x, double[] t, int[] rows, Coefficients c) {
    NDArray prediction = predict(x, t, rowLabels(rows));
    counted(x, rows);
    Estimate raw = model.parameterization().decompose(prediction, x, c);
    Estimate guarded = guard.apply(raw, x, c);
    if (diagnostics != null && guarded != raw) {
      long batch = x.getShape().get(0);
      float[] change = raw.x0().sub(guarded.x0()).abs().reshape(batch, -1).max(new int[] {1})
          .toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
      boolean[] acted = new boolean[change.length];
      for (int i = 0; i < acted.length; i++) {
        acted[i] = change[i] > 0;
      }
      diagnostics.guarded(rows, acted);
    }
    return guarded;
  }

  private void counted(NDArray x, int[] rows) {
    evaluations++;
    if (diagnostics != null) {
      diagnostics.evaluated(rows, (int) x.getShape().get(0));
    }
  }

  private JacobianTrace.Traced traced(NDArray x, double[] t, int[] rowLabels, NDArray probes) {
    NDManager manager = x.getManager();
    if (rowLabels == null || guidance == 1.0) {
      return model.traced(x, times(manager, t, x), rowLabels, probes);
    }
    JacobianTrace.Traced both = model.traced(NDArrays.concat(new NDList(x, x)),
        times(manager, doubled(t), x), withNullLabels(rowLabels),
        NDArrays.concat(new NDList(probes, probes)));
    NDList predictions = both.prediction().split(2);
    NDList traces = both.trace().split(2);
    return new JacobianTrace.Traced(guided(predictions.get(0), predictions.get(1)),
        guided(traces.get(0), traces.get(1)));
  }

  /** The guided combination u + w·(c − u), of predictions or (being linear) their traces. */
  private NDArray guided(NDArray conditional, NDArray unconditional) {
    return unconditional.add(conditional.sub(unconditional).mul(guidance));
  }

  private static double[] doubled(double[] t) {
    double[] out = new double[2 * t.length];
    System.arraycopy(t, 0, out, 0, t.length);
    System.arraycopy(t, 0, out, t.length, t.length);
    return out;
  }

  /** The rows' labels, then the null label for each: the conditional and unconditional halves. */
  private static int[] withNullLabels(int[] rowLabels) {
    int[] both = new int[2 * rowLabels.length];
    System.arraycopy(rowLabels, 0, both, 0, rowLabels.length);
    java.util.Arrays.fill(both, rowLabels.length, both.length, Model.NULL_LABEL);
    return both;
  }

  private NDArray predict(NDArray x, double[] t, int[] rowLabels) {
    NDManager manager = x.getManager();
    if (rowLabels == null || guidance == 1.0) {
      return model.predict(x, times(manager, t, x), rowLabels);
    }
    NDArray stacked = NDArrays.concat(new NDList(x, x));
    NDList halves = model.predict(stacked, times(manager, doubled(t), x),
        withNullLabels(rowLabels)).split(2);
    return guided(halves.get(0), halves.get(1));
  }

  private static NDArray times(NDManager manager, double[] t, NDArray like) {
    return Coefficients.column(manager, t, new Shape(t.length), like.getDataType());
  }

  private int[] rowLabels(int[] rows) {
    if (labels == null || rows == null) {
      return labels;
    }
    int[] out = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      out[i] = labels[rows[i]];
    }
    return out;
  }
}
