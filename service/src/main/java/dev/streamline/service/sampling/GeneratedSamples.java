package dev.streamline.service.sampling;

import dev.streamline.sampler.Diagnostics;
import dev.streamline.sampler.Trajectory;
import dev.streamline.service.registry.ModelInfo;
import java.util.List;

/**
 * A finished order's samples, flattened in row-major order [n, ...shape].
 *
 * @param shape one sample's shape: the model's, or a latent model's decoded one
 * @param output "latent" or "decoded" for a latent model, else null
 * @param trajectory every step's state when the order asked for it (latents, for a latent
 *     model), else empty
 * @param diagnostics per sample when the order asked for them, else empty
 */
public record GeneratedSamples(ModelInfo model, String sampler, int steps, int nfe, long seed,
    int n, List<Integer> shape, String output, float[] samples,
    List<Trajectory.Frame> trajectory, long elapsedMs, List<Diagnostics.Sample> diagnostics) {

  /** These samples for other rows: one request's share of a merged run. */
  GeneratedSamples rows(long ownSeed, int from, int count, long ownElapsedMs) {
    int size = samples.length / n;
    return new GeneratedSamples(model, sampler, steps, nfe, ownSeed, count, shape, output,
        java.util.Arrays.copyOfRange(samples, from * size, (from + count) * size), List.of(),
        ownElapsedMs, List.of());
  }
}
