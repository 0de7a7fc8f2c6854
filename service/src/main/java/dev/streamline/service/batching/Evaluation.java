package dev.streamline.service.batching;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** One model evaluation (host copies of x, t and labels) waiting for a forward pass. */
final class Evaluation {
  final float[] x;
  final float[] t;
  final int[] labels;
  final int rows;
  final long enqueued = System.nanoTime();
  final CompletableFuture<float[]> result = new CompletableFuture<>();

  Evaluation(float[] x, float[] t, int[] labels) {
    this.x = x;
    this.t = t;
    this.labels = labels;
    this.rows = t.length;
  }

  float[] await(Deadline deadline) {
    try {
      return result.get(Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      result.cancel(false);
      deadline.check();
      throw new IllegalStateException("timed out before the deadline", e);
    } catch (CancellationException e) {
      deadline.check();
      throw e;
    } catch (InterruptedException e) {
      result.cancel(false);
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    }
  }
}
