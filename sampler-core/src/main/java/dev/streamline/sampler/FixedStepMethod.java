package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import dev.streamline.sampler.SamplingLoop.Step;

/**
 * A fixed-step sampler written as one step from t to t_next, the way k-diffusion's samplers read;
 * the {@link SamplingLoop} walks it over the time grid. A method that carries history between
 * steps (a multistep method) is made fresh for each run and keeps its arrays with
 * {@link Step#keep}.
 */
@FunctionalInterface
public interface FixedStepMethod extends StepMethod {

  /**
   * @param x the state at {@code step.t()}, owned by the step: it dies with it
   * @return the state at {@code step.tNext()}
   */
  NDArray step(Step step, NDArray x);

  /**
   * The grid this method steps over, given the job's; by default the job's own.
   *
   * @throws InvalidJobException when the options make no grid from these times
   */
  default double[] grid(NoiseProcess process, SamplerOptions options, double[] times) {
    return times;
  }

  @Override
  default NDArray run(SamplingLoop loop, NDArray x) {
    return loop.steps(this, x);
  }

  /**
   * The method on a grid whose first point is moved off a pure-noise end, for a method whose
   * update is singular there ({@link TimeGrid#withFiniteStart}).
   */
  static FixedStepMethod fromFiniteStart(FixedStepMethod method) {
    return new FixedStepMethod() {
      @Override public NDArray step(Step step, NDArray x) { return method.step(step, x); }

      @Override
      public double[] grid(NoiseProcess process, SamplerOptions options, double[] times) {
        return TimeGrid.withFiniteStart(process, times);
      }
    };
  }
}
