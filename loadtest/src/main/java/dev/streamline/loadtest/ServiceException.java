package dev.streamline.loadtest;

/**
 * The service could not be reached or answered with an error. {@code status} is the HTTP status,
 * or 0 when no answer came (connection refused, timeout).
 */
public final class ServiceException extends Exception {

  private final int status;

  public ServiceException(int status, String message) {
    super(message);
    this.status = status;
  }

  public ServiceException(String message, Throwable cause) {
    super(message, cause);
    this.status = 0;
  }

  public int status() {
    return status;
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
