package dev.streamline.models.store;

/** A model directory that cannot be loaded or written; the message names the file and problem. */
public class ModelStoreException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public ModelStoreException(String message) {
    super(message);
  }

  public ModelStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
