package dev.streamline.service.api;

import dev.streamline.service.config.StreamlineProperties;
import dev.streamline.service.http.MalformedBody;
import io.netty.handler.timeout.ReadTimeoutException;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
import org.springframework.web.reactive.resource.NoResourceFoundException;
import org.springframework.web.reactive.result.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.server.ContentTooLargeException;
import org.springframework.web.server.NotAcceptableStatusException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;
import org.springframework.web.util.DisconnectedClientHelper;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Every error as an RFC 9457 problem ({@code application/problem+json}) whose detail says what
 * to change. Spring's own (404 route, 405, ...) come from the base class, with details of ours
 * where Spring's are empty (406, 415) or name Java types (unreadable bodies); ours add the
 * service's statuses. Anything unexpected is a 500 that names no internals, logged here.
 */
@RestControllerAdvice
public class ProblemHandler extends ResponseEntityExceptionHandler {

  private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);
  /** Jackson's "Cannot coerce String value (\"2\") to ..." when scalar coercion is off. */
  private static final Pattern REFUSED_COERCION =
      Pattern.compile("^Cannot coerce \\w+ value \\((.*)\\) to ");

  /** Jackson's STRICT_DUPLICATE_DETECTION: "Duplicate Object property \"n\"". */
  private static final Pattern DUPLICATE = Pattern.compile("^Duplicate Object property \"(.*)\"");

  private final StreamlineProperties properties;

  public ProblemHandler(StreamlineProperties properties) {
    this.properties = properties;
  }

  @ExceptionHandler(ApiException.class)
  ResponseEntity<Object> api(ApiException e, ServerWebExchange exchange) {
    if (e.outcome() != null) {
      RequestLog.outcome(exchange, e.outcome());
    }
    return problem(e.status(), e.getMessage(), e.headers(), exchange);
  }

  /** A chunked body that grew past the codecs' in-memory limit (see {@link BodySizeLimit}). */
  @ExceptionHandler(ContentTooLargeException.class)
  ResponseEntity<Object> tooLarge(ContentTooLargeException e, ServerWebExchange exchange) {
    return problem(HttpStatus.CONTENT_TOO_LARGE, BodySizeLimit.detail(properties),
        HttpHeaders.EMPTY, exchange);
  }

  /**
   * A body that stopped arriving for {@code streamline.http.body-timeout}: Reactor Netty has
   * closed the connection, so the answer is for the record; a slow client is not the server's
   * error.
   */
  @ExceptionHandler(ReadTimeoutException.class)
  ResponseEntity<Object> slowBody(ReadTimeoutException e, ServerWebExchange exchange) {
    return problem(HttpStatus.REQUEST_TIMEOUT, "the request body paused for longer than "
        + StreamlineProperties.text(properties.http().bodyTimeout())
        + " (streamline.http.body-timeout)", HttpHeaders.EMPTY, exchange);
  }

  /**
   * A client that hung up before its body was read is routine, not a failure: no answer can
   * reach it, and {@link RequestLog} counts it. Anything else is a 500, logged with its id.
   */
  @ExceptionHandler(Exception.class)
  ResponseEntity<Object> unexpected(Exception e, ServerWebExchange exchange) {
    if (DisconnectedClientHelper.isClientDisconnectedException(e)) {
      log.debug("client hung up: {}", e.toString());
      return ResponseEntity.status(RequestLog.CLIENT_CLOSED_REQUEST).build();
    }
    log.atError().addKeyValue(Problems.REQUEST_ID, RequestId.of(exchange)).setCause(e)
        .log("request {} failed", RequestId.of(exchange));
    return problem(HttpStatus.INTERNAL_SERVER_ERROR,
        "the service failed on this request; the server log has the cause", HttpHeaders.EMPTY,
        exchange);
  }

  /** Spring's own problems (404 route, 405, ...) name the request's id too. */
  @Override
  protected Mono<ResponseEntity<Object>> createResponseEntity(Object body, HttpHeaders headers,
      HttpStatusCode status, ServerWebExchange exchange) {
    if (body instanceof ProblemDetail problem) {
      Problems.identified(problem, exchange);
    }
    return super.createResponseEntity(body, headers, status, exchange);
  }

  /** A path that is no endpoint: Spring's detail speaks of static resources, which we serve none. */
  @Override
  protected Mono<ResponseEntity<Object>> handleResponseStatusException(ResponseStatusException e,
      HttpHeaders headers, HttpStatusCode status, ServerWebExchange exchange) {
    if (e instanceof NoResourceFoundException) {
      return Mono.just(problem(HttpStatus.NOT_FOUND, "no endpoint at "
          + exchange.getRequest().getPath().value() + "; the API is described at /v3/api-docs"
          + " and /swagger-ui.html", headers, exchange));
    }
    return super.handleResponseStatusException(e, headers, status, exchange);
  }

  /** Malformed JSON, or a value of the wrong type: where, and what was expected. */
  @Override
  protected Mono<ResponseEntity<Object>> handleServerWebInputException(ServerWebInputException e,
      HttpHeaders headers, HttpStatusCode status, ServerWebExchange exchange) {
    Throwable cause = NestedExceptionUtils.getMostSpecificCause(e);
    String detail = cause instanceof JacksonException jackson ? detail(jackson)
        : cause instanceof MalformedBody malformed ? malformed.getMessage()
        : "the body is missing or is not JSON";
    return Mono.just(problem(HttpStatus.BAD_REQUEST, "unreadable request body: " + detail,
        HttpHeaders.EMPTY, exchange));
  }

  /**
   * An Accept header that names no format offered, or is no list of media types (see
   * {@link AcceptHeader}); Spring's own detail is empty.
   */
  @Override
  protected Mono<ResponseEntity<Object>> handleNotAcceptableStatusException(
      NotAcceptableStatusException e, HttpHeaders headers, HttpStatusCode status,
      ServerWebExchange exchange) {
    List<String> offered = e.getSupportedMediaTypes().stream().map(MediaType::toString).toList();
    return Mono.just(problem(HttpStatus.NOT_ACCEPTABLE, "the Accept header asks for no format"
        + " offered here, or is no list of media types; ask for " + (offered.isEmpty()
        ? "application/json" : String.join(", ", offered)) + ", or send no Accept header",
        headers, exchange));
  }

  /** A body sent as anything but JSON, or with no Content-Type (when Spring's detail is empty). */
  @Override
  protected Mono<ResponseEntity<Object>> handleUnsupportedMediaTypeStatusException(
      UnsupportedMediaTypeStatusException e, HttpHeaders headers, HttpStatusCode status,
      ServerWebExchange exchange) {
    MediaType type = e.getContentType();
    return Mono.just(problem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "the body must be JSON, sent with"
        + " Content-Type: application/json; this one has "
        + (type == null ? "no Content-Type" : "Content-Type: " + type), headers, exchange));
  }

  /**
   * In the request's terms: Jackson's messages name the Java types it binds to, which a client
   * neither sees nor can act on.
   */
  private static String detail(JacksonException e) {
    String path = path(e.getPath());
    Matcher duplicate = DUPLICATE.matcher(e.getOriginalMessage());
    if (duplicate.find()) {
      return "property \"" + duplicate.group(1) + "\" is given twice"
          + (path.isEmpty() ? "" : " in " + path) + "; give each property once";
    }
    if (e.getOriginalMessage().startsWith("Trailing token")) {
      return "more follows the JSON value of the body; send one JSON object";
    }
    if (e instanceof UnrecognizedPropertyException unknown) {
      List<JacksonException.Reference> parent = e.getPath().subList(0, e.getPath().size() - 1);
      Collection<Object> known = unknown.getKnownPropertyIds();
      return "Unrecognized property \"" + unknown.getPropertyName() + "\""
          + (parent.isEmpty() ? "" : " in " + path(parent))
          + (known == null ? "" : "; known: " + known);
    }
    if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
      String expected = (path.isEmpty() ? "the body" : path) + " must be "
          + kind(mismatch.getTargetType());
      String got = got(mismatch);
      return got == null ? expected : expected + ", got " + got;
    }
    String message = firstLine(e.getOriginalMessage());
    return path.isEmpty() ? message : path + ": " + message;
  }

  /**
   * The offending value as JSON: from the exception where it kept it, else from the message of a
   * refused coercion (its parser is closed by now), which quotes it.
   */
  private static String got(MismatchedInputException e) {
    if (e instanceof InvalidFormatException format && format.getValue() != null) {
      return format.getValue() instanceof String text ? "\"" + text + "\""
          : format.getValue().toString();
    }
    Matcher coercion = REFUSED_COERCION.matcher(e.getOriginalMessage());
    return coercion.find() ? coercion.group(1) : null;
  }

  /** A JSON path such as {@code options.eta} or {@code latents[0][1]}. */
  private static String path(List<JacksonException.Reference> references) {
    StringBuilder out = new StringBuilder();
    for (JacksonException.Reference reference : references) {
      if (reference.getPropertyName() != null) {
        out.append(out.isEmpty() ? "" : ".").append(reference.getPropertyName());
      } else {
        out.append('[').append(reference.getIndex()).append(']');
      }
    }
    return out.toString();
  }

  private static String kind(Class<?> type) {
    if (type == Integer.class || type == Long.class || type == int.class || type == long.class) {
      return "an integer";
    }
    if (Number.class.isAssignableFrom(type) || type == double.class) {
      return "a number";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (type == String.class) {
      return "a string";
    }
    return Collection.class.isAssignableFrom(type) || type.isArray() ? "an array" : "an object";
  }

  /** Jackson's first line, without the Java types and settings it names. */
  private static String firstLine(String text) {
    int end = text.indexOf('\n');
    return (end < 0 ? text : text.substring(0, end)).replaceAll(" \\(class [^)]*\\)", "")
        .replaceAll(", from `[^`]*`", "").replace("`", "");
  }

  private static ResponseEntity<Object> problem(HttpStatus status, String detail,
      HttpHeaders headers, ServerWebExchange exchange) {
    return Problems.entity(status, detail, headers, exchange);
  }
}
