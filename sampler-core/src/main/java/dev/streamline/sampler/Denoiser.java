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
  private final Guidance guidance;
  private final X0Guard guard;
  private final Diagnostics diagnostics;
  private int evaluations;

  /**
   * A denoiser of an unguided job, or of plain guidance at one scale.
   *
   * @param labels one class per sample, or null for an unconditional model
   * @param guidance classifier-free guidance scale w (1 = plain conditional prediction)
   */
  public Denoiser(Model model, int[] labels, double guidance, X0Guard guard) {
    this(model, labels, Guidance.plain(guidance), guard, null);
  }

  /** @param diagnostics records every evaluation's rows and the guard's acts; null for none */
  Denoiser(Model model, int[] labels, Guidance guidance, X0Guard guard, Diagnostics diagnostics) {
    this.model = model;
    this.labels = labels;
    this.guidance = guidance;
    this.guard = guard;
    this.diagnostics = diagnostics;
  }

  /**
   * A guided estimate with the unconditional one beside it, for CFG++; where the step is not
   * guided (no labels, or outside the guidance interval) both are the one estimate made.
   */
  public record Guided(Estimate estimate, Estimate unconditional) {
    /** CFG++'s pair: the guided x0, to denoise with, and the unconditional eps, to renoise. */
    public Estimate plusPlus() {
      return new Estimate(estimate.x0(), unconditional.eps());
    }
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
    return estimate(x, shared(x, t), null);
  }

  /** The guided and unconditional estimates at one shared time, for CFG++. */
  public Guided guided(NDArray x, double t) {
    double[] times = shared(x, t);
    return evaluate(x, times, null, Coefficients.of(model.process(), times, x));
  }

  /** The unconditional estimate alone, at one shared time: one evaluation of the rows. */
  public Estimate unconditional(NDArray x, double t) {
    double[] times = shared(x, t);
    Coefficients c = Coefficients.of(model.process(), times, x);
    int[] none = labels == null ? null : new int[times.length];
    if (none != null) {
      java.util.Arrays.fill(none, Model.NULL_LABEL);
    }
    NDArray prediction = model.predict(x, times(x.getManager(), times, x), none);
    counted(x, null);
    return model.parameterization().decompose(prediction, x, c);
  }

  /** Tells the guidance which step of the whole schedule the next evaluations belong to. */
  void atStep(int index) {
    guidance.atStep(index);
  }

  private static double[] shared(NDArray x, double t) {
    double[] times = new double[(int) x.getShape().get(0)];
    java.util.Arrays.fill(times, t);
    return times;
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
        && guard.kind() == X0Guard.Kind.NONE && !guidance.inX0()) {
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
    return evaluate(x, t, rows, c).estimate();
  }

  private Guided evaluate(NDArray x, double[] t, int[] rows, Coefficients c) {
    int[] rowLabels = rowLabels(rows);
    Parameterization p = model.parameterization();
    Guided raw;
    if (rowLabels == null || !guidance.active()) {
      Estimate only = p.decompose(model.predict(x, times(x.getManager(), t, x), rowLabels), x, c);
      raw = new Guided(only, only);
    } else {
      NDList halves = bothHalves(x, t, rowLabels);
      NDArray conditional = halves.get(0);
      NDArray unconditional = halves.get(1);
      Estimate uncond = p.decompose(unconditional, x, c);
      Estimate guided;
      if (guidance.inX0()) {
        Estimate cond = p.decompose(conditional, x, c);
        Estimate linear = p.decompose(guidance.linear(conditional, unconditional), x, c);
        guided = linear.withX0(guidance.projectedX0(cond.x0(), uncond.x0()), x, c);
      } else {
        guided = p.decompose(guidance.prediction(conditional, unconditional), x, c);
      }
      raw = new Guided(guided, uncond);
    }
    counted(x, rows);
    Estimate guarded = guard.apply(raw.estimate(), x, c);
    if (diagnostics != null && guarded != raw.estimate()) {
      long batch = x.getShape().get(0);
      float[] change = raw.estimate().x0().sub(guarded.x0()).abs().reshape(batch, -1)
          .max(new int[] {1}).toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
          .toFloatArray();
      boolean[] acted = new boolean[change.length];
      for (int i = 0; i < acted.length; i++) {
        acted[i] = change[i] > 0;
      }
      diagnostics.guarded(rows, acted);
    }
    return new Guided(guarded, raw.unconditional());
  }

  private void counted(NDArray x, int[] rows) {
    evaluations++;
    if (diagnostics != null) {
      diagnostics.evaluated(rows, (int) x.getShape().get(0));
    }
  }

  private JacobianTrace.Traced traced(NDArray x, double[] t, int[] rowLabels, NDArray probes) {
    NDManager manager = x.getManager();
    if (rowLabels == null || !guidance.active()) {
      return model.traced(x, times(manager, t, x), rowLabels, probes);
    }
    JacobianTrace.Traced both = model.traced(NDArrays.concat(new NDList(x, x)),
        times(manager, doubled(t), x), withNullLabels(rowLabels),
        NDArrays.concat(new NDList(probes, probes)));
    NDList predictions = both.prediction().split(2);
    NDList traces = both.trace().split(2);
    return new JacobianTrace.Traced(guidance.linear(predictions.get(0), predictions.get(1)),
        guidance.linear(traces.get(0), traces.get(1)));
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
    if (rowLabels == null || !guidance.active()) {
      return model.predict(x, times(x.getManager(), t, x), rowLabels);
    }
    NDList halves = bothHalves(x, t, rowLabels);
    return guidance.prediction(halves.get(0), halves.get(1));
  }

  /** The conditional and unconditional predictions, from one call on the rows stacked twice. */
  private NDList bothHalves(NDArray x, double[] t, int[] rowLabels) {
    NDArray stacked = NDArrays.concat(new NDList(x, x));
    return model.predict(stacked, times(x.getManager(), doubled(t), x),
        withNullLabels(rowLabels)).split(2);
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
