package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;

/** One sampling algorithm: carries x from the noise end of the process to its data end. */
@FunctionalInterface
public interface Sampler {

  /**
   * @param x the starting state at the process's noise time, owned by the sampler from here on
   * @return the state at the process's data time
   */
  NDArray sample(SamplingContext context, NDArray x);
}
