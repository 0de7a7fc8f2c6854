package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;

/**
 * One sampling algorithm: carries x from the noise end of the process to its data end in a
 * {@link SamplingLoop}. Fixed-step samplers are written as one step ({@link FixedStepMethod});
 * adaptive solvers, which choose their own steps per sample, run their attempts in the loop's
 * scopes ({@link SamplingLoop#scope}), which check and publish every accepted state.
 */
public interface StepMethod {

  /**
   * @param x the starting state at the process's noise time, in the run's manager
   * @return the state at the process's data time, in the run's manager
   */
  NDArray run(SamplingLoop loop, NDArray x);
}
