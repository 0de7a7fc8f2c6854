package dev.streamline.sampler;

import java.util.List;

/**
 * @param logLikelihood log p(x) per sample, in nats of the model's sample space
 * @param latents the samples carried to the noise end, at unit variance as sampling's latents
 *     are, [n, ...shape], owned by the manager the run was given
 * @param nfe network evaluations (each with the divergence)
 * @param diagnostics per sample, when asked for; else empty
 */
public record LikelihoodResult(double[] logLikelihood, ai.djl.ndarray.NDArray latents, int nfe,
    List<Diagnostics.Sample> diagnostics) {}
