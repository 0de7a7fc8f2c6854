package dev.streamline.service.batching;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Future;

/**
 * When one sampling request must stop: at its time limit, or as soon as its client has gone. The
 * sampler loop checks it before every model evaluation, and a cancel also aborts the evaluation
 * it is waiting on, so the request's slot frees within one forward pass.
 */
public final class Deadline {

  private final long endNanos;
  private volatile boolean cancelled;
  private volatile Future<?> waitingOn;

  private Deadline(long endNanos) {
    this.endNanos = endNanos;
  }

  public static Deadline after(Duration limit) {
    return new Deadline(System.nanoTime() + limit.toNanos());
  }

  public void cancel() {
    cancelled = true;
    Future<?> current = waitingOn;
    if (current != null) {
      current.cancel(false);
    }
  }

  public long remainingNanos() {
    return endNanos - System.nanoTime();
  }

  /** @throws DeadlineExceededException past the time limit; CancellationException when cancelled */
  public void check() {
    if (cancelled) {
      throw new CancellationException("the request was cancelled");
    }
    if (remainingNanos() <= 0) {
      throw new DeadlineExceededException();
    }
  }

  /** Makes a later {@link #cancel()} abort this wait too. */
  public void watch(Future<?> future) {
    waitingOn = future;
    if (cancelled) {
      future.cancel(false);
    }
  }

  /** The request ran out of time. */
  public static final class DeadlineExceededException extends RuntimeException {
    public DeadlineExceededException() {
      super("the request exceeded its time limit", null, false, false);
    }
  }
}
