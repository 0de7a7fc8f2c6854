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

  /** The score ∇log p_t(x) = -eps/sigma. */
  public NDArray score(Coefficients c) {
    return eps.div(c.sigma()).neg();
  }
}
