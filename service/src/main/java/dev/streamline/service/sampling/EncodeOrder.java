package dev.streamline.service.sampling;

import dev.streamline.sampler.Inspection;
import dev.streamline.sampler.SamplerOption;
import java.util.List;
import java.util.Map;

/**
 * Samples to carry back to their latents, in the service's terms; a null field takes the model's
 * default, and {@link SamplingService} checks the rest.
 *
 * @param samples [n, ...shape] in model space, as nested lists of numbers
 * @param labels one class per sample, or one for all, or null
 * @param inspection what to report besides the latents; null for nothing
 */
public record EncodeOrder(
    List<?> samples,
    String sampler,
    Integer steps,
    Map<SamplerOption, Object> options,
    int[] labels,
    Double guidance,
    Inspection inspection) {

  public EncodeOrder {
    options = options == null ? Map.of() : options;
    inspection = inspection == null ? Inspection.NONE : inspection;
  }
}
