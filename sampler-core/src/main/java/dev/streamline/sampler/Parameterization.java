package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.Locale;

/**
 * What a network predicts. This is the one place that converts between parameterizations: every
 * prediction is decomposed into an {@link Estimate} (x0, eps) given x and the process
 * coefficients, and can be composed back, so any model can be driven by any sampler.
 */
public enum Parameterization {
  /** dx/dt along the path: alpha'·x0 + sigma'·eps (flow matching). */
  VELOCITY,
  /** The noise eps. */
  EPSILON,
  /** The clean data x0. */
  X0,
  /** v = alpha·eps - sigma·x0 (Salimans &amp; Ho, 2022). */
  V,
  /** The score ∇log p_t(x) = -eps/sigma. */
  SCORE;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Parameterization fromId(String id) {
    for (Parameterization p : values()) {
      if (p.id().equals(id)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "unknown parameterization '" + id + "'; expected one of "
            + Arrays.stream(values()).map(Parameterization::id).toList());
  }

  /** The (x0, eps) pair that this prediction means at (x, t). */
  public Estimate decompose(NDArray prediction, NDArray x, Coefficients c) {
    NDArray a = c.alpha();
    NDArray s = c.sigma();
    switch (this) {
      case EPSILON -> {
        return new Estimate(x.sub(prediction.mul(s)).div(a), prediction);
      }
      case X0 -> {
        return new Estimate(prediction, x.sub(prediction.mul(a)).div(s));
      }
      case V -> {
        NDArray norm = a.square().add(s.square());
        NDArray x0 = x.mul(a).sub(prediction.mul(s)).div(norm);
        NDArray eps = x.mul(s).add(prediction.mul(a)).div(norm);
        return new Estimate(x0, eps);
      }
      case SCORE -> {
        NDArray eps = prediction.mul(s).neg();
        return new Estimate(x.sub(eps.mul(s)).div(a), eps);
      }
      case VELOCITY -> {
        // Solve x = a·x0 + s·eps, u = a'·x0 + s'·eps; the determinant a·s' - s·a' never vanishes
        // for a path that moves, so both ends of the interpolant are regular.
        NDArray det = a.mul(c.sigmaDot()).sub(s.mul(c.alphaDot()));
        NDArray x0 = x.mul(c.sigmaDot()).sub(prediction.mul(s)).div(det);
        NDArray eps = prediction.mul(a).sub(x.mul(c.alphaDot())).div(det);
        return new Estimate(x0, eps);
      }
      default -> throw new AssertionError(this);
    }
  }

  /** The prediction in this parameterization that corresponds to the estimate. */
  public NDArray compose(Estimate e, Coefficients c) {
    return switch (this) {
      case EPSILON -> e.eps();
      case X0 -> e.x0();
      case V -> e.eps().mul(c.alpha()).sub(e.x0().mul(c.sigma()));
      case SCORE -> e.score(c);
      case VELOCITY -> e.velocity(c);
    };
  }

  /**
   * The probability-flow field is affine in (x, prediction) for every parameterization:
   * v = a·x + b·prediction. These are the columns (a, b), read off the one conversion above, which
   * is what turns the trace of the prediction's Jacobian into the divergence of v.
   */
  public NDArray[] velocityCoefficients(Coefficients c) {
    NDArray one = c.alpha().onesLike();
    NDArray zero = c.alpha().zerosLike();
    return new NDArray[] {decompose(zero, one, c).velocity(c), decompose(one, zero, c).velocity(c)};
  }
}
