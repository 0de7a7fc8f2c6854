package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * @param logLikelihood log p(x) per sample, in nats of the model's sample space
 * @param latents the samples carried to the noise end, at unit variance as sampling's latents
 *     are, [n, ...shape], owned by the manager the run was given
 * @param nfe network evaluations (each with the divergence)
 * @param diagnostics per sample, when asked for; else empty
 */
public record LikelihoodResult(double[] logLikelihood, NDArray latents, int nfe,
    List<Diagnostics.Sample> diagnostics) {

  /**
   * The negative log-likelihood in bits per dimension. For 8-bit images scaled to [−1, 1] (256
   * levels, bins 2/256 wide) it is the usual discrete figure, −log₂ p(x)/D + 7, which a density
   * on [−1, 1] bounds from above once dequantized (Song et al. 2021 report it so); otherwise the
   * continuous −log₂ p(x)/D.
   */
  public static double bitsPerDim(double logLikelihood, long dimensions, boolean eightBitImage) {
    double bits = -logLikelihood / (dimensions * Math.log(2));
    return eightBitImage ? bits + 7 : bits;
  }
}
