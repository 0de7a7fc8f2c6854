package dev.streamline.sampler;

/**
 * A sampling job that cannot run as asked: an unknown sampler, a value out of range, labels or
 * latents that do not fit the model. The message is for the job's author and says what to change;
 * a server maps this, and only this, to a client error.
 */
public class InvalidJobException extends IllegalArgumentException {

  public InvalidJobException(String message) {
    super(message);
  }
}
