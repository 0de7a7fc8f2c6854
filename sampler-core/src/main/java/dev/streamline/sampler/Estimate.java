package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;

/**
 * A model's answer at (x, t) in the two quantities every sampler is written in: the clean-data
 * estimate and the noise estimate, tied by x = alpha·x0 + sigma·eps.
 */
public record Estimate(NDArray x0, NDArray eps) {

  /** The probability-flow ODE field dx/dt = alpha'·x0 + sigma'·eps. */
  public NDArray velocity(Coefficients c) {
    return x0.mul(c.alphaDot()).add(eps.mul(c.sigmaDot()));
  }

  /**
   * This estimate with x0 replaced and eps made consistent with it again, x = alpha·x0 +
   * sigma·eps, where sigma > 0; where sigma = 0, x says nothing of eps and this one's is kept.
   */
  public Estimate withX0(NDArray newX0, NDArray x, Coefficients c) {
    NDArray safeSigma = c.sigma().maximum(Double.MIN_NORMAL);
    NDArray consistent = x.sub(newX0.mul(c.alpha())).div(safeSigma);
    NDArray keep = c.sigma().gt(0).broadcast(x.getShape());
    return new Estimate(newX0, ai.djl.ndarray.NDArrays.where(keep, consistent, eps));
  }

  /** The score ∇log p_t(x) = -eps/sigma. */
  public NDArray score(Coefficients c) {
    return eps.div(c.sigma()).neg();
  }
}
