package dev.streamline.service.batching;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.Model;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs every forward pass of one model, for all the requests sampling from it.
 *
 * <p>Each request's sampler loop evaluates the model through its own {@link Session}, which hands
 * the evaluation (host copies of x, t and labels) to this batcher and waits. One worker thread
 * concatenates the pending evaluations, runs one forward pass and gives every caller its rows.
 * Because networks take one time per row, evaluations from different requests, samplers, step
 * counts and adaptive step sizes share a pass; requests join and leave between steps.
 *
 * <p>The worker waits for company only while it can come: it dispatches at once when every open
 * session has an evaluation pending (the rest would only arrive after this pass), when the rows
 * reach {@code maxRows}, or {@code maxDelay} after the oldest evaluation arrived. A network treats
 * rows independently, so a request's result does not depend on what it was batched with.
 */
public final class ForwardBatcher implements AutoCloseable {

  /** Fewest rows in a forward pass (small ones are padded); see {@link #forward}. */
  static final int MIN_ROWS = 16;

  private final Model model;
  private final Device device;
  private final boolean enabled;
  private final int maxRows;
  private final long maxDelayNanos;
  private final int rowSize;
  private final DistributionSummary batchSize;
  private final Timer queueWait;

  private final Object lock = new Object();
  private final ArrayDeque<Evaluation> pending = new ArrayDeque<>();
  private int pendingRows;
  private int sessions;
  private boolean closed;
  private final Thread worker;

  /**
   * @param enabled false runs each evaluation on its caller's thread, alone
   */
  public ForwardBatcher(String modelId, Model model, Device device, boolean enabled, int maxRows,
      java.time.Duration maxDelay, MeterRegistry meters) {
    this.model = model;
    this.device = device;
    this.enabled = enabled;
    this.maxRows = maxRows;
    this.maxDelayNanos = maxDelay.toNanos();
    this.rowSize = Math.toIntExact(model.sampleShape().size());
    this.batchSize = DistributionSummary.builder("streamline.forward.batch.size")
        .description("Rows in one forward pass")
        .tag("model", modelId)
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
        .register(meters);
    this.queueWait = Timer.builder("streamline.queue.wait")
        .description("Time an evaluation waits for its forward pass")
        .tag("model", modelId)
        .register(meters);
    Gauge.builder("streamline.queue.depth", this, ForwardBatcher::sessions)
        .description("Sampling requests in flight on the model")
        .tag("model", modelId)
        .register(meters);
    this.worker = new Thread(this::work, "forward-" + modelId);
    worker.setDaemon(true);
    if (enabled) {
      worker.start();
    }
  }

  public Model model() {
    return model;
  }

  /** A view of the model for one request; close it when the request ends. */
  public Session open(Deadline deadline) {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("the model is shutting down");
      }
      sessions++;
    }
    return new Session(this, deadline);
  }

  void leave() {
    synchronized (lock) {
      sessions--;
      lock.notifyAll();
    }
  }

  /** Open sessions: the requests sampling from this model now. */
  public int sessions() {
    synchronized (lock) {
      return sessions;
    }
  }

  NDArray evaluate(NDArray x, NDArray t, int[] labels, Deadline deadline) {
    deadline.check();
    if (!enabled) {
      batchSize.record(x.getShape().get(0));
      return model.predict(x, t, conditioned(labels, (int) x.getShape().get(0)));
    }
    Evaluation evaluation = new Evaluation(x.toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
        .toFloatArray(), t.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray(),
        labels);
    submit(evaluation);
    deadline.watch(evaluation.result);
    float[] out = evaluation.await(deadline);
    return x.getManager().create(out, x.getShape()).toType(x.getDataType(), false);
  }

  /** A conditional model gets a label per row; requests without labels ask for the null class. */
  private int[] conditioned(int[] labels, int rows) {
    if (model.classCount() == 0 || labels != null) {
      return labels;
    }
    int[] none = new int[rows];
    Arrays.fill(none, Model.NULL_LABEL);
    return none;
  }

  private void submit(Evaluation evaluation) {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("the model is shutting down");
      }
      pending.addLast(evaluation);
      pendingRows += evaluation.rows;
      lock.notifyAll();
    }
  }

  private void work() {
    try (NDManager base = NDManager.newBaseManager(device)) {
      List<Evaluation> batch;
      while ((batch = nextBatch()) != null) {
        if (!batch.isEmpty()) {
          forward(batch, base);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The next evaluations to run together, or null once closed. */
  private List<Evaluation> nextBatch() throws InterruptedException {
    synchronized (lock) {
      while (pending.isEmpty() && !closed) {
        lock.wait();
      }
      if (closed) {
        pending.forEach(e -> e.result.cancel(false));
        pending.clear();
        return null;
      }
      long due = pending.peekFirst().enqueued + maxDelayNanos;
      while (!closed && pendingRows < maxRows && pending.size() < sessions) {
        long wait = due - System.nanoTime();
        if (wait <= 0) {
          break;
        }
        TimeUnit.NANOSECONDS.timedWait(lock, wait);
      }
      List<Evaluation> batch = new ArrayList<>();
      int rows = 0;
      while (!pending.isEmpty()
          && (batch.isEmpty() || rows + pending.peekFirst().rows <= maxRows)) {
        Evaluation next = pending.pollFirst();
        pendingRows -= next.rows;
        if (!next.result.isDone()) {
          batch.add(next);
          rows += next.rows;
        }
      }
      return batch;
    }
  }

  private void forward(List<Evaluation> batch, NDManager base) {
    long started = System.nanoTime();
    int rows = 0;
    for (Evaluation e : batch) {
      queueWait.record(started - e.enqueued, TimeUnit.NANOSECONDS);
      rows += e.rows;
    }
    // Zeros (and null labels) past the last row pad a short pass without another copy: libtorch
    // takes another kernel for matrix products of a few rows, which rounds differently, so
    // padding keeps every row's result independent of its batch.
    float[] x = new float[(rows + MIN_ROWS) * rowSize];
    float[] t = new float[rows + MIN_ROWS];
    int[] labels = null;
    if (model.classCount() > 0) {
      labels = new int[rows + MIN_ROWS];
      Arrays.fill(labels, rows, labels.length, Model.NULL_LABEL);
    }
    int row = 0;
    for (Evaluation e : batch) {
      System.arraycopy(e.x, 0, x, row * rowSize, e.x.length);
      System.arraycopy(e.t, 0, t, row, e.rows);
      if (labels != null) {
        System.arraycopy(conditioned(e.labels, e.rows), 0, labels, row, e.rows);
      }
      row += e.rows;
    }
    try {
      float[] out = new float[rows * rowSize];
      // An evaluation larger than maxRows runs in chunks, which bounds the forward pass's memory.
      for (int from = 0; from < rows; from += maxRows) {
        int count = Math.min(maxRows, rows - from);
        int padded = Math.max(count, MIN_ROWS);
        try (NDManager pass = base.newSubManager()) {
          NDArray xs = pass.create(FloatBuffer.wrap(x, from * rowSize, padded * rowSize),
              new Shape(padded).addAll(model.sampleShape()));
          NDArray ts = pass.create(FloatBuffer.wrap(t, from, padded), new Shape(padded));
          int[] ls = labels == null ? null : Arrays.copyOfRange(labels, from, from + padded);
          float[] y = model.predict(xs, ts, ls).toFloatArray();
          System.arraycopy(y, 0, out, from * rowSize, count * rowSize);
        }
        batchSize.record(count);
      }
      int offset = 0;
      for (Evaluation e : batch) {
        e.result.complete(Arrays.copyOfRange(out, offset * rowSize, (offset + e.rows) * rowSize));
        offset += e.rows;
      }
    } catch (RuntimeException failure) {
      batch.forEach(e -> e.result.completeExceptionally(failure));
    }
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      lock.notifyAll();
    }
    if (enabled) {
      try {
        worker.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** One model evaluation waiting for a forward pass. */
  private static final class Evaluation {
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
      } catch (java.util.concurrent.TimeoutException e) {
        result.cancel(false);
        deadline.check();
        throw new IllegalStateException("timed out before the deadline", e);
      } catch (java.util.concurrent.CancellationException e) {
        deadline.check();
        throw e;
      } catch (InterruptedException e) {
        result.cancel(false);
        Thread.currentThread().interrupt();
        throw new java.util.concurrent.CancellationException("interrupted");
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof RuntimeException runtime) {
          throw runtime;
        }
        throw new IllegalStateException(e.getCause());
      }
    }
  }
}
