package dev.streamline.service.api;

import com.fasterxml.jackson.annotation.JsonFormat;
import dev.streamline.sampler.SamplerOption;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * The body of {@code POST /v1/models/{id}/samples}; every field but {@code n} is optional and
 * falls back to the model's defaults.
 *
 * @param labels one class per sample, or one for all
 * @param latents the starting noise [n, ...shape] (unit variance), instead of the seeded draw
 * @param output for a latent model's JSON and .npy answers: "decoded" (the default) or "latent"
 * @param diagnostics add per-sample diagnostics to the JSON answer
 * @param sensitivity also run a perturbed twin of each sample and report its growth factor
 */
public record SampleRequest(
    Integer n,
    String sampler,
    Integer steps,
    Long seed,
    Double guidance,
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Integer> labels,
    List<Object> latents,
    Options options,
    Boolean returnTrajectory,
    @Schema(allowableValues = {"decoded", "latent"}, description = "A latent model's JSON and"
        + " .npy answers: decoded (the default) or its latents; PNG answers are always decoded")
    String output,
    @Schema(description = "Add per-sample diagnostics (NFE, steps, errors, stiffness, guard,"
        + " path length and straightness) to the JSON answer") Boolean diagnostics,
    @Schema(description = "Also run a perturbed twin of each sample in the same passes (twice"
        + " the rows) and report the growth factor |dx_end|/|dx_start|; implies diagnostics")
    Boolean sensitivity) {

  /**
   * Sampler knobs, read as {@link SamplerOption} declares them; each must be one the chosen
   * sampler reads (see {@code GET /v1/samplers}).
   */
  @JsonDeserialize(using = OptionsReader.class)
  @Schema(name = OptionsSchema.NAME)
  public record Options(Map<SamplerOption, Object> given) {

    /** The options a body gave, or null for none. */
    static Map<SamplerOption, Object> of(Options options) {
      return options == null ? null : options.given();
    }
  }
}
