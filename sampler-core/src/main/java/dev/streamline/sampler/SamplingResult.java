package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * @param samples [n, ...shape], owned by the manager the run was given
 * @param nfe network evaluations the run made (a guided evaluation counts once)
 * @param trajectory every step's state when asked for, else empty
 * @param diagnostics per sample, when asked for ({@link Inspection}); else empty
 */
public record SamplingResult(NDArray samples, int nfe, List<Trajectory.Frame> trajectory,
    List<Diagnostics.Sample> diagnostics) {}
