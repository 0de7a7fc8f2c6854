package dev.streamline.service.api;

import dev.streamline.service.batching.Deadline;
import dev.streamline.service.config.StreamlineProperties;
import java.util.concurrent.CancellationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.reactive.result.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.server.ContentTooLargeException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;

/**
 * Every error as an RFC 9457 problem ({@code application/problem+json}) whose detail says what
 * to change. Spring's own (404 route, 405, 406, 415, ...) come from the base class; ours add the
 * service's statuses. Anything unexpected is a 500 that names no internals, logged here.
 */
@RestControllerAdvice
public class ProblemHandler extends ResponseEntityExceptionHandler {

  private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

  private final StreamlineProperties properties;

  public ProblemHandler(StreamlineProperties properties) {
    this.properties = properties;
  }

  @ExceptionHandler(ApiException.class)
  ResponseEntity<Object> api(ApiException e) {
    return problem(e.status(), e.getMessage(), e.headers());
  }

  /** A chunked body that grew past the codecs' in-memory limit (see {@link BodySizeLimit}). */
  @ExceptionHandler(ContentTooLargeException.class)
  ResponseEntity<Object> tooLarge(ContentTooLargeException e) {
    return problem(HttpStatus.CONTENT_TOO_LARGE, BodySizeLimit.detail(properties),
        HttpHeaders.EMPTY);
  }

  @ExceptionHandler(IllegalArgumentException.class)
  ResponseEntity<Object> invalid(IllegalArgumentException e) {
    return problem(HttpStatus.BAD_REQUEST, e.getMessage(), HttpHeaders.EMPTY);
  }

  @ExceptionHandler(Deadline.DeadlineExceededException.class)
  ResponseEntity<Object> timeout(Deadline.DeadlineExceededException e) {
    return problem(HttpStatus.GATEWAY_TIMEOUT, "the request ran past its time limit of "
        + properties.limits().requestTimeout().toSeconds() + " s; ask for fewer samples or steps",
        HttpHeaders.EMPTY);
  }

  @ExceptionHandler(CancellationException.class)
  ResponseEntity<Object> cancelled(CancellationException e) {
    return problem(HttpStatus.SERVICE_UNAVAILABLE, "the request was cancelled before it finished",
        HttpHeaders.EMPTY);
  }

  @ExceptionHandler(Exception.class)
  ResponseEntity<Object> unexpected(Exception e) {
    log.error("request failed", e);
    return problem(HttpStatus.INTERNAL_SERVER_ERROR,
        "the service failed on this request; the server log has the cause", HttpHeaders.EMPTY);
  }

  /** Malformed JSON: Jackson's message says where. */
  @Override
  protected Mono<ResponseEntity<Object>> handleServerWebInputException(ServerWebInputException e,
      HttpHeaders headers, HttpStatusCode status, ServerWebExchange exchange) {
    Throwable cause = NestedExceptionUtils.getMostSpecificCause(e);
    String detail = cause instanceof JacksonException jackson
        ? firstLine(jackson.getMessage()) : "the body is missing or is not JSON";
    return Mono.just(problem(HttpStatus.BAD_REQUEST, "unreadable request body: " + detail,
        HttpHeaders.EMPTY));
  }

  /** Jackson's first line, without the Java class it was binding to. */
  private static String firstLine(String text) {
    int end = text.indexOf('\n');
    return (end < 0 ? text : text.substring(0, end)).replaceAll(" \\(class [^)]*\\)", "");
  }

  private static ResponseEntity<Object> problem(HttpStatus status, String detail,
      HttpHeaders headers) {
    return ResponseEntity.status(status).headers(headers)
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .body(ProblemDetail.forStatusAndDetail(status, detail));
  }
}
