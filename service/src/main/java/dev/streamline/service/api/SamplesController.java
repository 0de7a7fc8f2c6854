package dev.streamline.service.api;

import dev.streamline.service.registry.ModelInfo;
import dev.streamline.service.registry.ServedModel;
import dev.streamline.service.sampling.Outcome;
import dev.streamline.service.sampling.SampleOrder;
import dev.streamline.service.sampling.GeneratedSamples;
import dev.streamline.service.sampling.SamplingService;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.NotAcceptableStatusException;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/models/{id}/samples}: samples as JSON, a NumPy .npy array, or (image models) a
 * PNG grid, as the Accept header asks. The request runs on a sampling worker, off the event loop;
 * when its client disconnects, Netty sees the connection close and its sampling is cancelled.
 * This is where HTTP meets the sampling: the body becomes a {@link SampleOrder}, and each
 * {@link Outcome} an answer or a problem.
 */
@RestController
public class SamplesController {

  static final String NPY_VALUE = "application/x-npy";
  private static final MediaType NPY = MediaType.parseMediaType(NPY_VALUE);
  /** Every model's formats, then the image models' own. */
  private static final List<MediaType> OFFERED =
      List.of(MediaType.APPLICATION_JSON, NPY, MediaType.IMAGE_PNG);

  private final SamplingService sampling;
  private final Answers answers;

  public SamplesController(SamplingService sampling, Answers answers) {
    this.sampling = sampling;
    this.answers = answers;
  }

  @PostMapping(path = {"/v1/models/{id}/samples", "/v1/models/{id}/versions/{version}/samples"},
      consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = {MediaType.APPLICATION_JSON_VALUE, NPY_VALUE, MediaType.IMAGE_PNG_VALUE})
  public Mono<ResponseEntity<?>> sample(@PathVariable String id,
      @PathVariable(required = false) String version, @RequestBody SampleRequest body,
      @RequestHeader(value = HttpHeaders.ACCEPT, required = false) String accept,
      ServerWebExchange exchange) {
    return answers.withModel(id, version,
        served -> sample(served, body, accept, ApiKeys.client(exchange)));
  }

  private Mono<ResponseEntity<?>> sample(ServedModel served, SampleRequest body, String accept,
      String client) {
    ModelInfo model = served.info();
    String id = model.id();
    SampleOrder order = order(body);
    // PNG answers are always decoded, so asking for latents takes PNG off the table.
    boolean png = model.isImage() && !order.asksForLatents();
    MediaType format = negotiate(accept, png ? OFFERED : OFFERED.subList(0, 2));
    if (format == null) {
      boolean onlyPng = negotiate(accept, OFFERED) != null;
      throw !onlyPng ? new NotAcceptableStatusException(OFFERED)
          : model.isImage() ? new ApiException(HttpStatus.NOT_ACCEPTABLE, "image/png answers"
              + " are decoded images; for output 'latent' ask for application/json or"
              + " application/x-npy")
          : new ApiException(HttpStatus.NOT_ACCEPTABLE, "image/png is offered for image"
              + " models; '" + id + "' has samples of shape " + model.dataShape()
              + ": ask for application/json or application/x-npy");
    }
    return answers.of(sampling.submit(served, order, client),
        outcome -> render(((Outcome.Done) outcome).samples(), format));
  }

  private static SampleOrder order(SampleRequest body) {
    if (body == null) {
      throw new ApiException(HttpStatus.BAD_REQUEST, "the request needs a JSON body with n");
    }
    return new SampleOrder(body.n(), body.sampler(), body.steps(), body.seed(), body.guidance(),
        Answers.labels(body.labels()), body.latents(), SampleRequest.Options.of(body.options()),
        Boolean.TRUE.equals(body.returnTrajectory()), body.output(),
        Answers.inspection(body.diagnostics(), body.sensitivity()));
  }

  private static ResponseEntity<?> render(GeneratedSamples outcome, MediaType format) {
    List<Integer> shape = new ArrayList<>();
    shape.add(outcome.n());
    shape.addAll(outcome.shape());
    if (format.equals(NPY)) {
      return ResponseEntity.ok().contentType(NPY).body(Npy.float32(outcome.samples(), shape));
    }
    if (format.equals(MediaType.IMAGE_PNG)) {
      return ResponseEntity.ok().contentType(MediaType.IMAGE_PNG).body(PngGrid.encode(
          outcome.samples(), outcome.n(), shape.get(1), shape.get(2), shape.get(3)));
    }
    return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON)
        .body(SampleResponse.of(outcome));
  }

  /**
   * The offered type of the highest quality the Accept header gives it (the first among equals,
   * JSON for no header), or null for none; a type it gives q=0 is refused, as RFC 9110 has it.
   */
  private static MediaType negotiate(String accept, List<MediaType> offered) {
    if (accept == null || accept.isBlank()) {
      return MediaType.APPLICATION_JSON;
    }
    List<MediaType> ranges = MediaType.parseMediaTypes(accept);
    MediaType best = null;
    double bestQuality = 0;
    for (MediaType type : offered) {
      double quality = quality(type, ranges);
      if (quality > bestQuality) {
        best = type;
        bestQuality = quality;
      }
    }
    return best;
  }

  /** The quality of the most specific range that includes the type (image/png over image/*). */
  private static double quality(MediaType offered, List<MediaType> ranges) {
    MediaType match = null;
    for (MediaType range : ranges) {
      if (range.includes(offered) && (match == null || specificity(range) > specificity(match))) {
        match = range;
      }
    }
    return match == null ? 0 : match.getQualityValue();
  }

  private static int specificity(MediaType range) {
    return range.isWildcardType() ? 0 : range.isWildcardSubtype() ? 1 : 2;
  }
}
