package dev.streamline.service.batching;

/**
 * When a free worker runs the pending evaluations: at once when every open session that is not
 * in a running pass has an evaluation pending (the others only come back after their pass), when
 * the rows reach {@code maxRows}, or {@code maxDelayNanos} after the oldest evaluation arrived or
 * the last pass ended, whichever is later: a pass that just ended brings the likeliest company,
 * and on a busy CPU its callers' sampler step can outlast the delay, which left the passes split
 * into small ones. Times are {@link System#nanoTime()} readings, compared as it requires.
 */
record DispatchPolicy(int maxRows, long maxDelayNanos) {

  /** No more company can come before the next pass: dispatch now. */
  boolean complete(int pendingRows, int pendingEvaluations, int sessions, int running) {
    return pendingRows >= maxRows || pendingEvaluations >= sessions - running;
  }

  /**
   * @param running evaluations in a running pass: their sessions come back only after it
   * @return how long to wait for company; 0: dispatch now
   */
  long waitNanos(int pendingRows, int pendingEvaluations, int sessions, int running,
      long oldestEnqueued, long lastPassEnd, long now) {
    long since = lastPassEnd - oldestEnqueued > 0 ? lastPassEnd : oldestEnqueued;
    long wait = since + maxDelayNanos - now;
    return complete(pendingRows, pendingEvaluations, sessions, running) || wait <= 0 ? 0 : wait;
  }
}
