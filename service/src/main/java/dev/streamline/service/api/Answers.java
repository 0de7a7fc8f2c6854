package dev.streamline.service.api;

import dev.streamline.sampler.Inspection;
import dev.streamline.service.config.StreamlineProperties;
import dev.streamline.service.registry.ServedModel;
import dev.streamline.service.sampling.ModelLookup;
import dev.streamline.service.sampling.Outcome;
import dev.streamline.service.sampling.Refused;
import dev.streamline.service.sampling.SamplingService;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import tools.jackson.databind.ObjectMapper;

/**
 * What every endpoint that runs an order shares on the HTTP side: the model lookup, the fields
 * all bodies read alike, and an admitted order's outcome as the answer or the problem that says
 * why there is none.
 */
@Component
class Answers {

  private final SamplingService sampling;
  private final StreamlineProperties properties;
  private final ObjectMapper json;

  Answers(SamplingService sampling, StreamlineProperties properties, ObjectMapper json) {
    this.sampling = sampling;
    this.properties = properties;
    this.json = json;
  }

  /**
   * The answer of an endpoint that runs an order on the model of this id and version (the
   * newest for a null version), or the problem (404, 503) of its absence. The model is held for
   * the order: {@code answer} submits it, which takes the hold over, or throws, which ends it.
   */
  Mono<ResponseEntity<?>> withModel(String id, String version,
      Function<ServedModel, Mono<ResponseEntity<?>>> answer) {
    ModelLookup lookup = sampling.find(id, version);
    if (lookup instanceof Refused refused) {
      throw ApiException.of(refused);
    }
    ServedModel served = ((ModelLookup.Found) lookup).model();
    try {
      return answer.apply(served);
    } catch (RuntimeException e) {
      served.release();
      throw e;
    }
  }

  /**
   * The job's outcome, rendered; a refusal becomes its problem. The request runs on a sampling
   * worker, off the event loop; when its client disconnects, Netty sees the connection close and
   * the job is cancelled. A JSON answer is written to bytes there too, within the request's time
   * limit: a trajectory of n = 1024 takes seconds to write, which Spring's encoder spent on the
   * event loop, after the deadline had been checked for the last time.
   */
  Mono<ResponseEntity<?>> of(SamplingService.Job job,
      Function<Outcome, ResponseEntity<?>> render) {
    // The service's own deadline answers 504 first; this only guards against a stuck request.
    // The deadline is cancelled after the cancel reached the future's Mono (doFinally, not
    // doOnCancel), so that the sampling's end is not then signalled into a cancelled chain.
    return Mono.fromFuture(job.result(), true)
        .doFinally(signal -> {
          if (signal == SignalType.CANCEL) {
            job.deadline().cancel();
          }
        })
        .timeout(properties.limits().requestTimeout().plusSeconds(10))
        .onErrorMap(TimeoutException.class, e -> ApiException.of(sampling.timedOut()))
        .<ResponseEntity<?>>map(outcome -> {
          if (outcome instanceof Refused refused) {
            throw ApiException.of(refused);
          }
          ResponseEntity<?> answer = written(render.apply(outcome));
          if (job.deadline().remainingNanos() <= 0) {
            throw ApiException.of(sampling.timedOut());
          }
          return answer;
        });
  }

  /** A JSON answer with its body as bytes; any other as it is (.npy and PNG are bytes). */
  private ResponseEntity<?> written(ResponseEntity<?> answer) {
    if (!MediaType.APPLICATION_JSON.equals(answer.getHeaders().getContentType())
        || answer.getBody() == null || answer.getBody() instanceof byte[]) {
      return answer;
    }
    return ResponseEntity.status(answer.getStatusCode()).headers(answer.getHeaders())
        .body(json.writeValueAsBytes(answer.getBody()));
  }

  /** A body's labels, none of them null. */
  static int[] labels(List<Integer> given) {
    if (given == null) {
      return null;
    }
    int[] labels = new int[given.size()];
    for (int i = 0; i < labels.length; i++) {
      if (given.get(i) == null) {
        throw new ApiException(HttpStatus.BAD_REQUEST, "labels[" + i + "] is null");
      }
      labels[i] = given.get(i);
    }
    return labels;
  }

  /** A body's {@code diagnostics} and {@code sensitivity} flags. */
  static Inspection inspection(Boolean diagnostics, Boolean sensitivity) {
    return new Inspection(Boolean.TRUE.equals(diagnostics), Boolean.TRUE.equals(sensitivity));
  }
}
