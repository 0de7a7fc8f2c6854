package dev.streamline.service.batching;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The evaluations waiting for a forward pass, and the open sessions that may add to them; a free
 * worker takes from it what the {@link DispatchPolicy} says to run together.
 */
final class PassQueue {

  private final DispatchPolicy policy;
  private final ArrayDeque<Evaluation> pending = new ArrayDeque<>();
  private int pendingRows;
  /** Evaluations in a running forward pass: their sessions come back only after it. */
  private int running;
  private long lastPassEnd = System.nanoTime();
  private int sessions;
  private int requests;
  private boolean closed;

  PassQueue(DispatchPolicy policy) {
    this.policy = policy;
  }

  synchronized void open(int requests) {
    if (closed) {
      throw new IllegalStateException("the model is shutting down");
    }
    sessions++;
    this.requests += requests;
  }

  synchronized void leave(int requests) {
    sessions--;
    this.requests -= requests;
    notifyAll();
  }

  /** The requests that the open sessions (sampling runs) serve. */
  synchronized int requests() {
    return requests;
  }

  synchronized void submit(Evaluation evaluation) {
    if (closed) {
      throw new IllegalStateException("the model is shutting down");
    }
    pending.addLast(evaluation);
    pendingRows += evaluation.rows;
    // A worker wakes to start the delay, or to dispatch; not for every arrival in between.
    if (pending.size() == 1 || policy.complete(pendingRows, pending.size(), sessions, running)) {
      notifyAll();
    }
  }

  /** The next evaluations to run together, or null once closed; {@link #done} ends their pass. */
  synchronized List<Evaluation> next() throws InterruptedException {
    while (true) {
      while (pending.isEmpty() && !closed) {
        wait();
      }
      if (closed) {
        pending.forEach(e -> e.result.cancel(false));
        pending.clear();
        return null;
      }
      // Another worker may have taken what was pending while this one waited: look again.
      long wait = policy.waitNanos(pendingRows, pending.size(), sessions, running,
          pending.peekFirst().enqueued, lastPassEnd, System.nanoTime());
      if (wait == 0) {
        break;
      }
      TimeUnit.NANOSECONDS.timedWait(this, wait);
    }
    List<Evaluation> batch = new ArrayList<>();
    int rows = 0;
    while (!pending.isEmpty()
        && (batch.isEmpty() || rows + pending.peekFirst().rows <= policy.maxRows())) {
      Evaluation next = pending.pollFirst();
      pendingRows -= next.rows;
      if (!next.result.isDone()) {
        batch.add(next);
        rows += next.rows;
      }
    }
    running += batch.size();
    return batch;
  }

  synchronized void done(List<Evaluation> batch) {
    running -= batch.size();
    lastPassEnd = System.nanoTime();
  }

  /** Refuses new sessions and evaluations, and makes {@link #next} cancel what is pending. */
  synchronized void close() {
    closed = true;
    notifyAll();
  }
}
