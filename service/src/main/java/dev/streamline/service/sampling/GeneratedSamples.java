package dev.streamline.service.sampling;

import dev.streamline.sampler.Trajectory;
import dev.streamline.service.registry.ModelInfo;
import java.util.List;

/**
 * A finished order's samples, flattened in row-major order [n, ...shape].
 *
 * @param trajectory every step's state when the order asked for it, else empty
 */
public record GeneratedSamples(ModelInfo model, String sampler, int steps, int nfe, long seed,
    int n, float[] samples, List<Trajectory.Frame> trajectory, long elapsedMs) {}
