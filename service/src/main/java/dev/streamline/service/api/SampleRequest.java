package dev.streamline.service.api;

import com.fasterxml.jackson.annotation.JsonFormat;
import java.util.List;

/**
 * The body of {@code POST /v1/models/{id}/samples}; every field but {@code n} is optional and
 * falls back to the model's defaults.
 *
 * @param labels one class per sample, or one for all
 * @param latents the starting noise [n, ...shape] (unit variance), instead of the seeded draw
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
    Boolean returnTrajectory) {

  /** Sampler knobs; each must be one the chosen sampler reads (see {@code GET /v1/samplers}). */
  public record Options(
      Double eta,
      Double churn,
      Double churnMin,
      Double churnMax,
      Double churnNoise,
      Double snr,
      Double rtol,
      Double atol,
      Double minStep,
      Double maxStep,
      Integer maxNfe,
      Boolean batchErrorControl,
      String timeGrid,
      Double rho,
      Double shift,
      Double clip,
      Double threshold) {}
}
