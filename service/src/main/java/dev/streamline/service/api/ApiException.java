package dev.streamline.service.api;

import dev.streamline.service.sampling.Refused;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/** A request the service turns down, with what the client can do about it. */
public class ApiException extends RuntimeException {

  private final HttpStatus status;
  private final HttpHeaders headers;
  /** The refusal's metrics tag, which the request log shows; null for the HTTP layer's own. */
  private final String outcome;

  public ApiException(HttpStatus status, String detail) {
    this(status, detail, HttpHeaders.EMPTY, null);
  }

  private ApiException(HttpStatus status, String detail, HttpHeaders headers, String outcome) {
    super(detail, null, false, false);
    this.status = status;
    this.headers = headers;
    this.outcome = outcome;
  }

  /** A refusal of the sampling as the HTTP status that says it. */
  public static ApiException of(Refused refused) {
    HttpStatus status = switch (refused.reason()) {
      case NOT_FOUND -> HttpStatus.NOT_FOUND;
      case NOT_READY, CANCELLED -> HttpStatus.SERVICE_UNAVAILABLE;
      case INVALID -> HttpStatus.BAD_REQUEST;
      case TOO_LARGE, TOO_COSTLY -> HttpStatus.CONTENT_TOO_LARGE;
      case QUEUE_FULL, OVER_SHARE -> HttpStatus.TOO_MANY_REQUESTS;
      case UNFINISHABLE -> HttpStatus.UNPROCESSABLE_CONTENT;
      case TIMED_OUT -> HttpStatus.GATEWAY_TIMEOUT;
    };
    HttpHeaders headers = new HttpHeaders();
    if (status == HttpStatus.TOO_MANY_REQUESTS) {
      headers.set(HttpHeaders.RETRY_AFTER, "1");
    }
    return new ApiException(status, refused.detail(), headers, refused.reason().tag());
  }

  public HttpStatus status() {
    return status;
  }

  public HttpHeaders headers() {
    return headers;
  }

  public String outcome() {
    return outcome;
  }
}
