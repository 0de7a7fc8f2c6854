package dev.streamline.service.sampling;

import dev.streamline.sampler.Diagnostics;
import dev.streamline.service.registry.ModelInfo;
import java.util.List;

/**
 * A finished likelihood order's answer.
 *
 * @param logLikelihood log p(x) per sample, nats
 * @param bitsPerDim per sample ({@link dev.streamline.sampler.LikelihoodResult#bitsPerDim})
 * @param latents [n, ...shape] flattened, when asked for; else null
 * @param diagnostics per sample, when asked for; else empty
 */
public record Likelihoods(ModelInfo model, String sampler, int steps, int nfe, String divergence,
    int probes, long seed, int n, double[] logLikelihood, double[] bitsPerDim, float[] latents,
    List<Diagnostics.Sample> diagnostics, long elapsedMs) {}
