package dev.streamline.service.sampling;

import dev.streamline.sampler.Inspection;
import dev.streamline.sampler.SamplerOption;
import java.util.List;
import java.util.Map;

/**
 * What a client asks of a model, in the service's terms whatever the protocol it came by; a null
 * field takes the model's default, and {@link SamplingService} checks the rest.
 *
 * @param labels one class per sample, or one for all, or null
 * @param latents the starting noise [n, ...shape] (unit variance) as nested lists of numbers, or
 *     null for the seeded draw
 * @param options the sampler knobs given, by option
 * @param output "latent" or "decoded" (a latent model's samples as such, or decoded), or null
 *     for decoded
 * @param inspection what to report besides the samples; null for nothing
 */
public record SampleOrder(
    Integer n,
    String sampler,
    Integer steps,
    Long seed,
    Double guidance,
    int[] labels,
    List<?> latents,
    Map<SamplerOption, Object> options,
    boolean returnTrajectory,
    String output,
    Inspection inspection) {

  /** The two values of {@code output}. */
  public static final String LATENT = "latent";
  public static final String DECODED = "decoded";

  public SampleOrder {
    options = options == null ? Map.of() : options;
    inspection = inspection == null ? Inspection.NONE : inspection;
  }

  /** Whether it asks for a latent model's latents rather than their decoding. */
  public boolean asksForLatents() {
    return LATENT.equals(output);
  }
}
