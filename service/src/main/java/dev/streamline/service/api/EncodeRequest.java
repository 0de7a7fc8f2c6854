package dev.streamline.service.api;

import com.fasterxml.jackson.annotation.JsonFormat;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * The body of {@code POST /v1/models/{id}/encode}: samples to carry back to the latents that the
 * same deterministic sampling maps to them.
 *
 * @param samples [n, ...shape] in model space (images in [−1, 1])
 * @param sampler a deterministic sampler that runs backwards: the Runge–Kutta ones or ddim
 * @param labels one class per sample, or one for all
 */
public record EncodeRequest(
    @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<Object> samples,
    String sampler,
    Integer steps,
    SampleRequest.Options options,
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Integer> labels,
    Double guidance,
    Boolean diagnostics,
    Boolean sensitivity) {}
