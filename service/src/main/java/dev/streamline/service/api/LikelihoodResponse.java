package dev.streamline.service.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.streamline.service.sampling.Likelihoods;
import java.util.List;

/**
 * The answer to a likelihood request.
 *
 * @param version the version of the model that answered, or null (and omitted) for one without
 * @param probes Hutchinson probes per sample; omitted for the exact divergence
 * @param logLikelihood log p(x) per sample, nats of the model's space
 * @param bitsPerDim per sample: −log₂ p(x)/D, + 7 for image models (8-bit data on [−1, 1])
 * @param latents the samples at the noise end, at unit variance, when asked for
 */
public record LikelihoodResponse(String model,
    @JsonInclude(JsonInclude.Include.NON_NULL) String version, String sampler, int steps, int nfe,
    String divergence, @JsonInclude(JsonInclude.Include.NON_NULL) Integer probes, long seed,
    double[] logLikelihood, double[] bitsPerDim, long elapsedMs,
    @JsonInclude(JsonInclude.Include.NON_NULL) Object latents,
    @JsonInclude(JsonInclude.Include.NON_NULL) List<SampleDiagnostics> diagnostics) {

  static LikelihoodResponse of(Likelihoods l) {
    return new LikelihoodResponse(l.model().id(), l.model().version(), l.sampler(), l.steps(), l.nfe(),
        l.divergence(), l.probes() > 0 ? l.probes() : null, l.seed(), l.logLikelihood(),
        l.bitsPerDim(), l.elapsedMs(),
        l.latents() == null ? null : SampleResponse.rows(l.latents(), l.n(), l.model().shape()),
        SampleDiagnostics.of(l.diagnostics()));
  }
}
