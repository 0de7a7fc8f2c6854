package dev.streamline.loadtest;

import java.time.Duration;

/**
 * The service could not be reached or answered with an error. {@code status} is the HTTP status,
 * or 0 when no answer came (connection refused, timeout).
 */
public final class ServiceException extends Exception {

  private final int status;
  private final Duration retryAfter;

  public ServiceException(int status, String message) {
    this(status, message, null);
  }

  /** @param retryAfter the wait the answer's Retry-After asked for, or null where it named none */
  public ServiceException(int status, String message, Duration retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }

  public ServiceException(String message, Throwable cause) {
    super(message, cause);
    this.status = 0;
    this.retryAfter = null;
  }

  public int status() {
    return status;
  }

  /** How long the server asked clients to wait before trying again (429), or null. */
  public Duration retryAfter() {
    return retryAfter;
  }

  /** The key errors are counted under: the status code, or the kind of transport failure. */
  public String errorKey() {
    if (status != 0) {
      return Integer.toString(status);
    }
    Throwable cause = getCause();
    return cause instanceof java.net.http.HttpTimeoutException ? "timeout" : "io";
  }
}
