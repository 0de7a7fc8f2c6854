package dev.streamline.service.sampling;

import dev.streamline.sampler.Inspection;
import dev.streamline.sampler.SamplerOption;
import java.util.List;
import java.util.Map;

/**
 * Samples whose log-likelihood is asked for, in the service's terms; a null field takes its
 * default, and {@link SamplingService} checks the rest.
 *
 * @param samples [n, ...shape] in model space, as nested lists of numbers
 * @param sampler a Runge–Kutta sampler; null for dopri5
 * @param divergence "exact" or "hutchinson"; null for exact up to 16 dimensions
 * @param probes Hutchinson probes per sample; null for 1
 * @param seed sample i draws its probes (and its twin's offset) from seed + i; null draws one
 * @param returnLatents also answer the samples' latents at the noise end
 * @param inspection what to report besides the likelihoods; null for nothing
 */
public record LikelihoodOrder(
    List<?> samples,
    String sampler,
    Integer steps,
    Map<SamplerOption, Object> options,
    String divergence,
    Integer probes,
    Long seed,
    int[] labels,
    boolean returnLatents,
    Inspection inspection) {

  public LikelihoodOrder {
    options = options == null ? Map.of() : options;
    inspection = inspection == null ? Inspection.NONE : inspection;
  }
}
