package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * One sampling job.
 *
 * @param sampler a {@link Samplers} id
 * @param steps steps of a fixed-step sampler (adaptive solvers choose their own)
 * @param n number of samples
 * @param seed sample i draws all its noise from seed + i
 * @param guidance classifier-free guidance scale (1 = none); needs labels
 * @param labels one class per sample, or one for all, or null for an unconditional model
 * @param latents unit-variance starting noise [n, ...shape] to use instead of the seeded draw, or
 *     null; it is scaled by sigma at the noise end like the seeded draw
 * @param options sampler knobs; null for defaults
 * @param recordTrajectory keep every step's state on the host
 * @param dataType arithmetic precision (FLOAT32 or FLOAT64)
 */
public record SamplingRequest(
    String sampler,
    int steps,
    int n,
    long seed,
    double guidance,
    int[] labels,
    NDArray latents,
    SamplerOptions options,
    boolean recordTrajectory,
    DataType dataType) {

  public SamplingRequest {
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    }
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, got " + n);
    }
    if (!Double.isFinite(guidance)) {
      throw new IllegalArgumentException("guidance must be a finite number, got " + guidance);
    }
    if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT64) {
      throw new IllegalArgumentException("dataType must be FLOAT32 or FLOAT64, got " + dataType);
    }
    Samplers.spec(sampler);
    options = options == null ? SamplerOptions.DEFAULT : options;
  }

  /** A float32 request with no guidance, labels, latents or trajectory. */
  public static SamplingRequest of(String sampler, int steps, int n, long seed) {
    return new SamplingRequest(sampler, steps, n, seed, 1.0, null, null, null, false,
        DataType.FLOAT32);
  }

  public SamplingRequest withOptions(SamplerOptions value) {
    return new SamplingRequest(sampler, steps, n, seed, guidance, labels, latents, value,
        recordTrajectory, dataType);
  }

  public SamplingRequest withLatents(NDArray value) {
    return new SamplingRequest(sampler, steps, n, seed, guidance, labels, value, options,
        recordTrajectory, dataType);
  }

  public SamplingRequest withLabels(int[] value, double scale) {
    return new SamplingRequest(sampler, steps, n, seed, scale, value, latents, options,
        recordTrajectory, dataType);
  }

  public SamplingRequest withDataType(DataType value) {
    return new SamplingRequest(sampler, steps, n, seed, guidance, labels, latents, options,
        recordTrajectory, value);
  }

  public SamplingRequest withTrajectory(boolean value) {
    return new SamplingRequest(sampler, steps, n, seed, guidance, labels, latents, options,
        value, dataType);
  }
}
