package dev.streamline.service.api;

import dev.streamline.service.registry.ServedModel;
import dev.streamline.service.sampling.EncodeOrder;
import dev.streamline.service.sampling.LikelihoodOrder;
import dev.streamline.service.sampling.Outcome;
import dev.streamline.service.sampling.SamplingService;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The endpoints that run the ODE from data back to noise: {@code POST /v1/models/{id}/encode}
 * (the latents of samples) and {@code POST /v1/models/{id}/likelihood} (their log-likelihood by
 * the change of variables). Each body becomes an order of {@link SamplingService}, admitted,
 * limited, batched and timed out like a sampling request.
 */
@RestController
public class InversionController {

  private final SamplingService sampling;
  private final Answers answers;

  public InversionController(SamplingService sampling, Answers answers) {
    this.sampling = sampling;
    this.answers = answers;
  }

  @ApiResponse(responseCode = "200", description = "the latents", content = @Content(
      mediaType = MediaType.APPLICATION_JSON_VALUE,
      schema = @Schema(implementation = EncodeResponse.class)))
  @PostMapping(path = {"/v1/models/{id}/encode", "/v1/models/{id}/versions/{version}/encode"},
      consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
  public Mono<ResponseEntity<?>> encode(@PathVariable String id,
      @PathVariable(required = false) String version, @RequestBody EncodeRequest body,
      ServerWebExchange exchange) {
    return answers.withModel(id, version,
        served -> encode(served, body, ApiKeys.client(exchange)));
  }

  private Mono<ResponseEntity<?>> encode(ServedModel served, EncodeRequest body,
      String client) {
    if (body == null) {
      throw new ApiException(HttpStatus.BAD_REQUEST, "the request needs a JSON body with samples");
    }
    EncodeOrder order = new EncodeOrder(body.samples(), body.sampler(), body.steps(),
        SampleRequest.Options.of(body.options()), Answers.labels(body.labels()), body.guidance(),
        Answers.inspection(body.diagnostics(), body.sensitivity()));
    return answers.of(sampling.encode(served, order, client), outcome -> ResponseEntity.ok()
        .contentType(MediaType.APPLICATION_JSON)
        .body(EncodeResponse.of(((Outcome.Done) outcome).samples())));
  }

  @ApiResponse(responseCode = "200", description = "the log-likelihoods", content = @Content(
      mediaType = MediaType.APPLICATION_JSON_VALUE,
      schema = @Schema(implementation = LikelihoodResponse.class)))
  @PostMapping(
      path = {"/v1/models/{id}/likelihood", "/v1/models/{id}/versions/{version}/likelihood"},
      consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
  public Mono<ResponseEntity<?>> likelihood(@PathVariable String id,
      @PathVariable(required = false) String version, @RequestBody LikelihoodRequest body,
      ServerWebExchange exchange) {
    return answers.withModel(id, version, served -> likelihood(served, body,
        ApiKeys.client(exchange)));
  }

  private Mono<ResponseEntity<?>> likelihood(ServedModel served, LikelihoodRequest body,
      String client) {
    if (body == null) {
      throw new ApiException(HttpStatus.BAD_REQUEST, "the request needs a JSON body with samples");
    }
    LikelihoodOrder order = new LikelihoodOrder(body.samples(), body.sampler(), body.steps(),
        SampleRequest.Options.of(body.options()), body.divergence(), body.probes(), body.seed(),
        Answers.labels(body.labels()), Boolean.TRUE.equals(body.returnLatents()),
        Answers.inspection(body.diagnostics(), body.sensitivity()));
    return answers.of(sampling.likelihood(served, order, client), outcome -> ResponseEntity.ok()
        .contentType(MediaType.APPLICATION_JSON)
        .body(LikelihoodResponse.of(((Outcome.Scored) outcome).likelihoods())));
  }
}
