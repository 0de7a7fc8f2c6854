package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Classifier-free guidance of one run: how the conditional prediction c and the unconditional u
 * combine, and on which steps. Plain CFG is u + w·(c − u) in the model's own parameterization,
 * which, being affine, is the same combination of the x0 and eps it decomposes into. On top:
 * Lin et al.'s rescale (in the prediction, as diffusers' rescale_noise_cfg), APG (in x0, as Sadat
 * et al. and ComfyUI's node), an interval of the schedule's steps outside which the conditional
 * prediction is evaluated alone, and CFG++'s use of the unconditional estimate, which the samplers
 * that read it ask for. A fresh one per run: APG's momentum is a running sum per row.
 */
final class Guidance {

  private final double scale;
  private final double rescale;
  private final boolean plusPlus;
  private final boolean projected;
  private final double eta;
  private final double momentum;
  private final double normThreshold;
  private final int firstGuided;
  private final int endGuided;
  private final NDManager home;
  private NDArray running;
  private int step;

  private Guidance(double scale, SamplerOptions o, int total, NDManager home) {
    this.scale = scale;
    this.rescale = o.number(SamplerOption.GUIDANCE_RESCALE, 0);
    this.plusPlus = o.flag(SamplerOption.CFG_PLUS_PLUS);
    this.projected = usesApg(o);
    this.eta = o.number(SamplerOption.APG_ETA, 0);
    this.momentum = o.number(SamplerOption.APG_MOMENTUM, 0);
    this.normThreshold = o.number(SamplerOption.APG_NORM_THRESHOLD, 0);
    // diffusers' guiders: step i of N is guided when int(start·N) <= i < int(stop·N).
    this.firstGuided = (int) (o.number(SamplerOption.GUIDANCE_START, 0) * total);
    this.endGuided = o.given().contains(SamplerOption.GUIDANCE_END)
        ? (int) (o.number(SamplerOption.GUIDANCE_END, 1) * total) : Integer.MAX_VALUE;
    this.home = home;
  }

  /**
   * The guidance of a checked job, over the steps of its whole schedule ({@link SamplingJob#span}).
   *
   * @param home the run's manager, which keeps APG's running sum between steps
   */
  static Guidance of(SamplingJob job, NDManager home) {
    return new Guidance(job.guidance(), job.options(), job.span().total(), home);
  }

  /** Plain CFG at one scale, on every evaluation. */
  static Guidance plain(double scale) {
    return new Guidance(scale, SamplerOptions.DEFAULT, 1, null);
  }

  static boolean usesApg(SamplerOptions o) {
    return o.given().contains(SamplerOption.APG_ETA)
        || o.given().contains(SamplerOption.APG_MOMENTUM)
        || o.given().contains(SamplerOption.APG_NORM_THRESHOLD);
  }

  /**
   * The step of the whole schedule (numbered from the noise end) whose evaluations follow; the
   * closing jump to the clean estimate belongs to the last step.
   */
  void atStep(int index) {
    step = index;
  }

  /**
   * Whether labelled rows are evaluated twice, conditionally and unconditionally, now: under a
   * scale other than 1 (or for CFG++, which renoises with the unconditional estimate even at 1,
   * as ComfyUI's _cfg_pp samplers do) and inside the interval.
   */
  boolean active() {
    return (scale != 1.0 || plusPlus) && step >= firstGuided && step < endGuided;
  }

  /** Whether the guided estimate is made in x0 (APG) rather than in the prediction. */
  boolean inX0() {
    return projected;
  }

  boolean plusPlus() {
    return plusPlus;
  }

  /** u + w·(c − u): of predictions or, being linear, of their Jacobian traces. */
  NDArray linear(NDArray conditional, NDArray unconditional) {
    return unconditional.add(conditional.sub(unconditional).mul(scale));
  }

  /**
   * The guided prediction, rescaled when asked (Lin et al. 2023, Algorithm 2): with
   * ratio = std(c)/std(g) per sample, g·(phi·ratio + 1 − phi). phi = 0 leaves g as it is.
   */
  NDArray prediction(NDArray conditional, NDArray unconditional) {
    NDArray guided = linear(conditional, unconditional);
    if (rescale == 0) {
      return guided;
    }
    NDArray target = deviation(conditional);
    NDArray actual = deviation(guided);
    // A sample whose guided prediction is constant has no spread to rescale.
    NDArray ratio = NDArrays.where(actual.gt(0), target.div(actual.maximum(Double.MIN_NORMAL)),
        actual.onesLike());
    NDArray factor = ratio.mul(rescale).add(1 - rescale);
    return guided.mul(factor.reshape(column(guided)));
  }

  /**
   * APG's guided x0 (Sadat et al. 2024, as diffusers' normalized_guidance and ComfyUI's APG
   * node): the difference Δ = x0_c − x0_u, summed with momentum Δ + beta·previous, its norm
   * capped at r, is split into its part parallel to x0_c and the rest; the parallel part is
   * weighted by eta, and x0_u + w·(Δ⊥ + eta·Δ∥) is the answer.
   */
  NDArray projectedX0(NDArray conditional, NDArray unconditional) {
    Shape shape = conditional.getShape();
    long batch = shape.get(0);
    NDArray diff = conditional.sub(unconditional).reshape(batch, -1);
    if (momentum != 0) {
      if (running != null) {
        NDArray previous = running;
        diff = diff.add(previous.mul(momentum));
        previous.close();
      }
      running = diff.duplicate();
      running.attach(home);
    }
    if (normThreshold > 0) {
      NDArray norm = diff.norm(new int[] {1}, true);
      diff = diff.mul(norm.pow(-1).mul(normThreshold).minimum(1.0));
    }
    NDArray flat = conditional.reshape(batch, -1);
    // torch's F.normalize: divide by max(norm, 1e-12).
    NDArray unit = flat.div(flat.norm(new int[] {1}, true).maximum(1e-12));
    NDArray parallel = unit.mul(diff.mul(unit).sum(new int[] {1}, true));
    NDArray update = diff.add(parallel.mul(eta - 1));
    return unconditional.add(update.mul(scale).reshape(shape));
  }

  /** The standard deviation of each sample's entries [B]. */
  private static NDArray deviation(NDArray values) {
    NDArray flat = values.reshape(values.getShape().get(0), -1);
    return flat.sub(flat.mean(new int[] {1}, true)).square().mean(new int[] {1}).sqrt();
  }

  private static Shape column(NDArray like) {
    return Coefficients.broadcastShape((int) like.getShape().get(0),
        like.getShape().dimension());
  }
}
