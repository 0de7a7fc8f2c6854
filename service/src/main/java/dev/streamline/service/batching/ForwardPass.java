package dev.streamline.service.batching;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.Model;
import io.micrometer.core.instrument.Timer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the evaluations a worker took as one forward pass: pads a short pass, runs a long one in
 * chunks of maxRows, and gives every evaluation its rows. A network treats rows independently, so
 * an evaluation's result does not depend on what it was batched with.
 */
final class ForwardPass {

  /** Fewest rows in a forward pass (small ones are padded); see {@link #run}. */
  static final int MIN_ROWS = 16;

  private final Network network;
  private final int maxRows;
  private final int rowSize;
  private final int outputRowSize;
  private final BatcherMetrics metrics;
  /** {@link #MIN_ROWS}, or maxRows where {@link WidthCalibration} found that not enough. */
  private volatile int fewestRows = MIN_ROWS;

  ForwardPass(Network network, int maxRows, BatcherMetrics metrics) {
    this.network = network;
    this.maxRows = maxRows;
    this.rowSize = Math.toIntExact(network.input().size());
    this.outputRowSize = Math.toIntExact(network.output().size());
    this.metrics = metrics;
  }

  /** Pads every pass from now on to maxRows: one shape for all passes. */
  void padToMaxRows() {
    fewestRows = maxRows;
  }

  /** Batching off: one evaluation on its caller's thread, alone and unpadded. */
  NDArray alone(NDArray x, NDArray t, int[] labels) {
    metrics.batchSize().record(x.getShape().get(0));
    Timer.Sample timing = Timer.start();
    try {
      return network.forward().apply(x, t, conditioned(labels, (int) x.getShape().get(0)));
    } finally {
      timing.stop(metrics.duration());
    }
  }

  /** A conditional model gets a label per row; requests without labels ask for the null class. */
  private int[] conditioned(int[] labels, int rows) {
    if (network.classCount() == 0 || labels != null) {
      return labels;
    }
    int[] none = new int[rows];
    Arrays.fill(none, Model.NULL_LABEL);
    return none;
  }

  /** Completes every evaluation's result with its rows, or all of them with the pass's failure. */
  void run(List<Evaluation> batch, NDManager base) {
    long started = System.nanoTime();
    int rows = 0;
    for (Evaluation e : batch) {
      metrics.queueWait().record(started - e.enqueued, TimeUnit.NANOSECONDS);
      rows += e.rows;
    }
    // Zeros (and null labels) past the last row pad a short pass without another copy: libtorch
    // takes another kernel for matrix products of a few rows, which rounds differently, so
    // padding keeps every row's result independent of its batch.
    int fewest = fewestRows;
    float[] x = new float[(rows + fewest) * rowSize];
    float[] t = new float[rows + fewest];
    int[] labels = null;
    if (network.classCount() > 0) {
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
      float[] out = new float[rows * outputRowSize];
      // An evaluation larger than maxRows runs in chunks, which bounds the forward pass's memory.
      for (int from = 0; from < rows; from += maxRows) {
        int count = Math.min(maxRows, rows - from);
        int padded = Math.max(count, fewest);
        Timer.Sample timing = Timer.start();
        try (NDManager pass = base.newSubManager()) {
          NDArray xs = pass.create(FloatBuffer.wrap(x, from * rowSize, padded * rowSize),
              new Shape(padded).addAll(network.input()));
          NDArray ts = pass.create(FloatBuffer.wrap(t, from, padded), new Shape(padded));
          int[] ls = labels == null ? null : Arrays.copyOfRange(labels, from, from + padded);
          float[] y = network.forward().apply(xs, ts, ls).toFloatArray();
          System.arraycopy(y, 0, out, from * outputRowSize, count * outputRowSize);
        } finally {
          timing.stop(metrics.duration());
        }
        metrics.batchSize().record(count);
      }
      int offset = 0;
      for (Evaluation e : batch) {
        e.result.complete(Arrays.copyOfRange(out, offset * outputRowSize,
            (offset + e.rows) * outputRowSize));
        offset += e.rows;
      }
    } catch (RuntimeException failure) {
      batch.forEach(e -> e.result.completeExceptionally(failure));
    }
  }
}
