package dev.streamline.sampler;

/** A run that could not finish: a non-finite trajectory, or an adaptive solver out of budget. */
public class SamplingException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public SamplingException(String message) {
    super(message);
  }
}
