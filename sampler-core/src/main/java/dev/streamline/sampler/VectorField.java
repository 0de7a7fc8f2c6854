package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;

/**
 * The right-hand side dx/dt of the ODE a Runge–Kutta method integrates, at a time per row: the
 * probability-flow field for sampling and inversion, the field augmented with its divergence for
 * likelihoods.
 */
@FunctionalInterface
public interface VectorField {

  /**
   * @param rows which samples of the run the rows of x are; null for all, in order
   */
  NDArray at(NDArray x, double[] t, int[] rows);
}
