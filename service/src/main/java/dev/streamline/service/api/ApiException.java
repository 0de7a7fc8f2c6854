package dev.streamline.service.api;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/** A request the service turns down, with what the client can do about it. */
public class ApiException extends RuntimeException {

  private final HttpStatus status;
  private final HttpHeaders headers;

  public ApiException(HttpStatus status, String detail) {
    this(status, detail, HttpHeaders.EMPTY);
  }

  public ApiException(HttpStatus status, String detail, HttpHeaders headers) {
    super(detail, null, false, false);
    this.status = status;
    this.headers = headers;
  }

  public HttpStatus status() {
    return status;
  }

  public HttpHeaders headers() {
    return headers;
  }
}
