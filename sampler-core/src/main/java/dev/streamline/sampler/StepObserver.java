package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;

/**
 * Sees the state after each accepted step. Observers only read: the integrator owns the state.
 */
@FunctionalInterface
public interface StepObserver {

  /**
   * @param step accepted steps so far
   * @param times each row's time after the step
   * @param x the rows' state [R, ...]
   * @param rows which samples of the request the rows are, in order
   */
  void onStep(int step, double[] times, NDArray x, int[] rows);
}
