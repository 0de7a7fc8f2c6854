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
  private int evaluations;

  /**
   * @param labels one class per sample, or null for an unconditional model
   * @param guidance classifier-free guidance scale w (1 = plain conditional prediction)
   */
  public Denoiser(Model model, int[] labels, double guidance, X0Guard guard) {
    this.model = model;
    this.labels = labels;
    this.guidance = guidance;
    this.guard = guard;
  }

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
      evaluations++;
      return prediction;
    }
    Coefficients c = Coefficients.of(model.process(), t, x);
    return estimate(x, t, rows, c).velocity(c);
  }

  private Estimate estimate(NDArray x, double[] t, int[] rows, Coefficients c) {
    NDArray prediction = predict(x, t, rowLabels(rows));
    evaluations++;
    return guard.apply(model.parameterization().decompose(prediction, x, c), x, c);
  }

  private NDArray predict(NDArray x, double[] t, int[] rowLabels) {
    NDManager manager = x.getManager();
    if (rowLabels == null || guidance == 1.0) {
      return model.predict(x, times(manager, t, x), rowLabels);
    }
    int n = t.length;
    double[] doubled = new double[2 * n];
    int[] both = new int[2 * n];
    System.arraycopy(t, 0, doubled, 0, n);
    System.arraycopy(t, 0, doubled, n, n);
    System.arraycopy(rowLabels, 0, both, 0, n);
    java.util.Arrays.fill(both, n, 2 * n, Model.NULL_LABEL);
    NDArray stacked = NDArrays.concat(new NDList(x, x));
    NDArray out = model.predict(stacked, times(manager, doubled, x), both);
    NDList halves = out.split(2);
    NDArray conditional = halves.get(0);
    NDArray unconditional = halves.get(1);
    return unconditional.add(conditional.sub(unconditional).mul(guidance));
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
