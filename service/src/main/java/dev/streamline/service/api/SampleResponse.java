package dev.streamline.service.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.streamline.sampler.Trajectory;
import dev.streamline.service.sampling.GeneratedSamples;
import java.util.List;

/**
 * The JSON answer to a sampling request.
 *
 * @param version the version of the model that answered, or null (and omitted) for one without
 * @param shape the shape of one sample
 * @param samples nested arrays [n, ...shape]
 * @param trajectory every step's state, when asked for (a latent model's are latents)
 * @param output "decoded" or "latent" for a latent model, else null (and omitted)
 * @param diagnostics per sample, when asked for (else omitted)
 */
public record SampleResponse(
    String model,
    @JsonInclude(JsonInclude.Include.NON_NULL) String version,
    String sampler,
    int steps,
    int nfe,
    long seed,
    List<Integer> shape,
    Object samples,
    long elapsedMs,
    @JsonInclude(JsonInclude.Include.NON_NULL) List<Frame> trajectory,
    @JsonInclude(JsonInclude.Include.NON_NULL) String output,
    @JsonInclude(JsonInclude.Include.NON_NULL) List<SampleDiagnostics> diagnostics) {

  /** The samples after a step, at their (per-sample) times. */
  public record Frame(int step, double[] times, Object samples) {}

  /** The trajectory is there when the request recorded one (it always holds the start). */
  static SampleResponse of(GeneratedSamples outcome) {
    List<Integer> shape = outcome.shape();
    List<Frame> frames = null;
    if (!outcome.trajectory().isEmpty()) {
      List<Integer> latent = outcome.model().shape();
      frames = outcome.trajectory().stream().map(f -> frame(f, latent)).toList();
    }
    return new SampleResponse(outcome.model().id(), outcome.model().version(), outcome.sampler(),
        outcome.steps(),
        outcome.nfe(), outcome.seed(), shape, rows(outcome.samples(), outcome.n(), shape),
        outcome.elapsedMs(), frames, outcome.output(),
        SampleDiagnostics.of(outcome.diagnostics()));
  }

  private static Frame frame(Trajectory.Frame frame, List<Integer> shape) {
    Object[] samples = new Object[frame.samples().length];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = nest(frame.samples()[i], 0, shape, 0);
    }
    return new Frame(frame.step(), frame.times(), samples);
  }

  /** Flat row-major values [n, ...shape] as nested arrays. */
  static Object[] rows(float[] flat, int n, List<Integer> shape) {
    int size = shape.stream().reduce(1, (a, b) -> a * b);
    Object[] out = new Object[n];
    for (int i = 0; i < n; i++) {
      out[i] = nest(flat, i * size, shape, 0);
    }
    return out;
  }

  /** The block of {@code flat} at {@code offset} with the given dimensions, as nested arrays. */
  private static Object nest(float[] flat, int offset, List<Integer> dims, int depth) {
    int length = dims.get(depth);
    if (depth == dims.size() - 1) {
      return java.util.Arrays.copyOfRange(flat, offset, offset + length);
    }
    int stride = dims.subList(depth + 1, dims.size()).stream().reduce(1, (a, b) -> a * b);
    Object[] out = new Object[length];
    for (int i = 0; i < length; i++) {
      out[i] = nest(flat, offset + i * stride, dims, depth + 1);
    }
    return out;
  }
}
