package dev.streamline.service.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.streamline.service.sampling.GeneratedSamples;
import java.util.List;

/**
 * The answer to an encode request: latents at unit variance, as the {@code latents} of a
 * sampling request take them.
 *
 * @param version the version of the model that answered, or null (and omitted) for one without
 * @param latents nested arrays [n, ...shape]
 */
public record EncodeResponse(String model,
    @JsonInclude(JsonInclude.Include.NON_NULL) String version, String sampler, int steps, int nfe,
    List<Integer> shape, Object latents, long elapsedMs,
    @JsonInclude(JsonInclude.Include.NON_NULL) List<SampleDiagnostics> diagnostics) {

  static EncodeResponse of(GeneratedSamples latents) {
    return new EncodeResponse(latents.model().id(), latents.model().version(), latents.sampler(), latents.steps(),
        latents.nfe(), latents.shape(),
        SampleResponse.rows(latents.samples(), latents.n(), latents.shape()),
        latents.elapsedMs(), SampleDiagnostics.of(latents.diagnostics()));
  }
}
