package dev.streamline.service.api;

import com.fasterxml.jackson.annotation.JsonFormat;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * The body of {@code POST /v1/models/{id}/likelihood}.
 *
 * @param samples [n, ...shape] in model space (images in [−1, 1])
 * @param sampler a Runge–Kutta sampler (default dopri5)
 * @param divergence "exact" (default up to 16 dimensions) or "hutchinson"
 * @param probes Rademacher probes per sample for hutchinson (default 1)
 * @param seed sample i draws its probes from seed + i
 * @param returnLatents also answer the samples' latents at the noise end
 */
public record LikelihoodRequest(
    @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<Object> samples,
    String sampler,
    Integer steps,
    SampleRequest.Options options,
    @Schema(allowableValues = {"exact", "hutchinson"}) String divergence,
    @Schema(minimum = "1", maximum = "64") Integer probes,
    Long seed,
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Integer> labels,
    Boolean returnLatents,
    Boolean diagnostics,
    Boolean sensitivity) {}
