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
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Runs every forward pass of one model, for all the requests sampling from it.
 *
 * <p>Each request's sampler loop evaluates the model through its own {@link Session}, which hands
 * the evaluation (host copies of x, t and labels) to this batcher and waits. A worker thread
 * concatenates the pending evaluations, runs one forward pass and gives every caller its rows.
 * Because networks take one time per row, evaluations from different requests, samplers, step
 * counts and adaptive step sizes share a pass; requests join and leave between steps.
 *
 * <p>A free worker waits for company only while it can come: it dispatches at once when every
 * open session that is not in a running pass has an evaluation pending (the others only come
 * back after their pass), when the rows reach {@code maxRows}, or {@code maxDelay} after the
 * oldest evaluation arrived or the last pass ended, whichever is later: a pass that just ended
 * brings the likeliest company, and on a busy CPU its callers' sampler step can outlast the
 * delay, which left the passes split into small ones. With several workers, one pass runs while
 * the requests of the last one do their sampler arithmetic, which keeps every core busy on a
 * CPU. A network treats rows independently, so a request's result does not depend on what it was
 * batched with.
 */
public final class ForwardBatcher implements AutoCloseable {

  /** Fewest rows in a forward pass (small ones are padded); see {@link #forward}. */
  static final int MIN_ROWS = 16;
  /** Rows of the widest pass {@link #calibrate} compares narrower ones with. */
  private static final int CALIBRATION_ROWS = 4 * MIN_ROWS;

  private final Model model;
  private final boolean enabled;
  private final int maxRows;
  private final long maxDelayNanos;
  private final int rowSize;
  private final DistributionSummary batchSize;
  private final Timer queueWait;
  /** {@link #MIN_ROWS}, or maxRows where {@link #calibrate} found that not enough. */
  private volatile int fewestRows = MIN_ROWS;

  private final Object lock = new Object();
  private final ArrayDeque<Evaluation> pending = new ArrayDeque<>();
  private int pendingRows;
  /** Evaluations in a running forward pass: their sessions come back only after it. */
  private int running;
  private long lastPassEnd = System.nanoTime();
  private int sessions;
  private int requests;
  private boolean closed;
  private final List<Thread> workers = new ArrayList<>();

  /**
   * @param enabled false runs each evaluation on its caller's thread, alone
   * @param workers forward passes that may run at once
   */
  public ForwardBatcher(String modelId, Model model, Device device, boolean enabled, int maxRows,
      java.time.Duration maxDelay, int workers, MeterRegistry meters) {
    this.model = model;
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
    Gauge.builder("streamline.queue.depth", this, ForwardBatcher::requests)
        .description("Sampling requests in flight on the model")
        .tag("model", modelId)
        .register(meters);
    for (int i = 0; enabled && i < workers; i++) {
      Thread worker = new Thread(() -> work(device), "forward-" + modelId + "-" + (i + 1));
      worker.setDaemon(true);
      worker.start();
      this.workers.add(worker);
    }
  }

  public Model model() {
    return model;
  }

  /**
   * Checks, through the forward path requests take, that this machine's kernels give each row
   * bitwise the same result in a padded pass of {@link #MIN_ROWS} or a few more rows, at either
   * end, as in a wider pass. Where they do not (another CPU's kernels may switch at another
   * width), every pass is padded to maxRows from then on: one shape for all passes keeps results
   * independent of batching, at the price of speed.
   *
   * @return whether {@link #MIN_ROWS} held; false: passes are now padded to maxRows
   */
  public boolean calibrate(NDManager manager) {
    int wide = Math.min(maxRows, CALIBRATION_ROWS);
    if (!enabled || wide <= MIN_ROWS) {
      // Unbatched, each request keeps its own pass; at most MIN_ROWS rows, all passes are padded
      // to one shape already.
      return true;
    }
    Random random = new Random(0);
    float[] x = new float[wide * rowSize];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    float[] t = new float[wide];
    double start = model.process().noiseTime();
    double end = model.process().dataTime();
    for (int i = 0; i < wide; i++) {
      t[i] = (float) (start + (0.05 + 0.9 * random.nextDouble()) * (end - start));
    }
    int[] labels = null;
    if (model.classCount() > 0) {
      labels = new int[wide];
      for (int i = 0; i < wide; i++) {
        labels[i] = i % (model.classCount() + 1) - 1;
      }
    }
    try (NDManager scratch = manager.newSubManager();
        Session session = open(Deadline.after(java.time.Duration.ofMinutes(5)), 0)) {
      float[] all = pass(session, scratch, x, t, labels, 0, wide);
      for (int rows : IntStream.of(MIN_ROWS, MIN_ROWS + 1, wide - 1).filter(r -> r < wide)
          .distinct().toArray()) {
        for (int from : new int[] {0, wide - rows}) {
          if (!Arrays.equals(pass(session, scratch, x, t, labels, from, rows),
              Arrays.copyOfRange(all, from * rowSize, (from + rows) * rowSize))) {
            fewestRows = maxRows;
            return false;
          }
        }
      }
    }
    return true;
  }

  private float[] pass(Session session, NDManager manager, float[] x, float[] t, int[] labels,
      int from, int rows) {
    NDArray xs = manager.create(Arrays.copyOfRange(x, from * rowSize, (from + rows) * rowSize),
        new Shape(rows).addAll(model.sampleShape()));
    NDArray ts = manager.create(Arrays.copyOfRange(t, from, from + rows));
    int[] ls = labels == null ? null : Arrays.copyOfRange(labels, from, from + rows);
    return session.predict(xs, ts, ls).toFloatArray();
  }

  /**
   * A view of the model for one sampling run; close it when the run ends.
   *
   * @param requests how many requests the run serves (several when they were merged)
   */
  public Session open(Deadline deadline, int requests) {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("the model is shutting down");
      }
      sessions++;
      this.requests += requests;
    }
    return new Session(this, deadline, requests);
  }

  void leave(int requests) {
    synchronized (lock) {
      sessions--;
      this.requests -= requests;
      lock.notifyAll();
    }
  }

  /** The requests that the open sessions (sampling runs) on this model serve. */
  public int requests() {
    synchronized (lock) {
      return requests;
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
      // A worker wakes to start the delay, or to dispatch; not for every arrival in between.
      if (pending.size() == 1 || complete()) {
        lock.notifyAll();
      }
    }
  }

  /** No more company can come before the next pass: dispatch now. */
  private boolean complete() {
    return pendingRows >= maxRows || pending.size() >= sessions - running;
  }

  private void work(Device device) {
    try (NDManager base = NDManager.newBaseManager(device)) {
      List<Evaluation> batch;
      while ((batch = nextBatch()) != null) {
        try {
          if (!batch.isEmpty()) {
            forward(batch, base);
          }
        } finally {
          synchronized (lock) {
            running -= batch.size();
            lastPassEnd = System.nanoTime();
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The next evaluations to run together, or null once closed. */
  private List<Evaluation> nextBatch() throws InterruptedException {
    synchronized (lock) {
      while (true) {
        while (pending.isEmpty() && !closed) {
          lock.wait();
        }
        if (closed) {
          pending.forEach(e -> e.result.cancel(false));
          pending.clear();
          return null;
        }
        // Another worker may have taken what was pending while this one waited: look again.
        long since = pending.peekFirst().enqueued;
        if (lastPassEnd - since > 0) {
          since = lastPassEnd;
        }
        long wait = since + maxDelayNanos - System.nanoTime();
        if (complete() || wait <= 0) {
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
      running += batch.size();
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
    int fewest = fewestRows;
    float[] x = new float[(rows + fewest) * rowSize];
    float[] t = new float[rows + fewest];
    int[] labels = null;
    if (model.classCount() > 0) {
      labels = new int[rows + fewest];
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
        int padded = Math.max(count, fewest);
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
    for (Thread worker : workers) {
      try {
        worker.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
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
