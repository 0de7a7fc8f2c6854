package dev.streamline.loadtest;

import java.time.Duration;

/**
 * The waits between tries of requests a busy server refused: as long as its Retry-After asks,
 * else a pause that doubles from 100 ms; never over 30 s, so that no header can stall a sweep.
 * One per sequence of tries.
 */
final class Backoff {

  /** Sleeps: {@code Thread::sleep}, or in tests a recorder that does not. */
  interface Pause {
    void sleep(long millis) throws InterruptedException;
  }

  /** One try of a request. */
  interface Call<T> {
    T call() throws ServiceException;
  }

  private static final Duration FIRST = Duration.ofMillis(100);
  private static final Duration LONGEST = Duration.ofSeconds(30);

  private final Pause pause;
  private Duration next = FIRST;

  Backoff(Pause pause) {
    this.pause = pause;
  }

  /**
   * Tries {@code call} up to {@code attempts} times while the server answers only that it is busy
   * (429, 503); any other failure, or the last busy answer, is thrown.
   */
  static <T> T whileBusy(Pause pause, int attempts, Call<T> call) throws ServiceException {
    Backoff backoff = new Backoff(pause);
    for (int attempt = 1; ; attempt++) {
      try {
        return call.call();
      } catch (ServiceException e) {
        if (e.status() != 429 && e.status() != 503 || attempt == attempts) {
          throw e;
        }
        try {
          backoff.await(e.retryAfter());
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** Waits before the next try; {@code retryAfter} is what the server asked for, or null. */
  void await(Duration retryAfter) throws InterruptedException {
    Duration wait = retryAfter != null ? retryAfter : next;
    next = shorter(next.multipliedBy(2));
    pause.sleep(shorter(wait).toMillis());
  }

  private static Duration shorter(Duration wait) {
    return wait.compareTo(LONGEST) <= 0 ? wait : LONGEST;
  }
}
