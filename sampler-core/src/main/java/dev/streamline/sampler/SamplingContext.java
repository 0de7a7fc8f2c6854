package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * Everything a {@link Sampler} works with besides the state: the model wrapper, the step budget
 * and grid, the per-sample noise, the options, and the step scopes that check, publish and keep
 * each new state.
 */
public final class SamplingContext {

  private final String samplerId;
  private final Denoiser denoiser;
  private final int steps;
  private final SamplerOptions options;
  private final SeededNoise noise;
  private final NDManager home;
  private final List<StepObserver> observers;
  private int lastStep;

  public SamplingContext(String samplerId, Denoiser denoiser, int steps, SamplerOptions options,
      SeededNoise noise, NDManager home, List<StepObserver> observers) {
    this.samplerId = samplerId;
    this.denoiser = denoiser;
    this.steps = steps;
    this.options = options;
    this.noise = noise;
    this.home = home;
    this.observers = List.copyOf(observers);
  }

  public Denoiser denoiser() {
    return denoiser;
  }

  public NoiseProcess process() {
    return denoiser.process();
  }

  public int steps() {
    return steps;
  }

  public SamplerOptions options() {
    return options;
  }

  /** The fixed-step grid: steps + 1 times from noise to data. */
  public double[] grid() {
    return options.grid().times(process(), steps);
  }

  /** Fresh standard normal noise for every sample, in the manager and type of {@code like}. */
  public NDArray noise(NDArray like) {
    return noise.next(like.getManager(), like.getDataType());
  }

  /** Opens the scope of one step; the arrays given are owned by it and die with it. */
  public StepScope scope(NDArray... owned) {
    return new StepScope(this, home, owned);
  }

  /** The step number of the last state published. */
  public int lastStep() {
    return lastStep;
  }

  void accept(NDArray next, int step, double[] times, int[] rows) {
    lastStep = step;
    // One reduction per step: a NaN or infinity anywhere makes the sum non-finite. So can an
    // overflow of finite values near the float32 limit, which only x·0 (0 where x is finite)
    // tells apart; it costs another operation, so it runs only then.
    if (!Double.isFinite(sum(next)) && !Double.isFinite(sum(next.mul(0)))) {
      throw new SamplingException(String.format(
          "%s produced non-finite values at step %d (t=%.6g); lower the guidance, add steps, or"
              + " enable the x0 clip", samplerId, step, times[0]));
    }
    int[] ids = rows;
    if (ids == null) {
      ids = new int[times.length];
      java.util.Arrays.setAll(ids, i -> i);
    }
    for (StepObserver observer : observers) {
      observer.onStep(step, times, next, ids);
    }
  }

  private static double sum(NDArray values) {
    NDArray total = values.sum();
    return total.getDataType() == ai.djl.ndarray.types.DataType.FLOAT64
        ? total.getDouble() : total.getFloat();
  }
}
