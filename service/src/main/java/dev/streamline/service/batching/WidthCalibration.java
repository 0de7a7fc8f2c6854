package dev.streamline.service.batching;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.stream.IntStream;

/**
 * The start-up check that padding to {@link ForwardPass#MIN_ROWS} keeps results independent of
 * batching on this machine: through the forward path requests take, each row must come out
 * bitwise the same in a padded pass of {@link ForwardPass#MIN_ROWS} or a few more rows, at either
 * end, as in a wider pass. Another CPU's kernels may switch at another width.
 */
final class WidthCalibration {

  /** Rows of the widest pass narrower ones are compared with. */
  private static final int ROWS = 4 * ForwardPass.MIN_ROWS;

  private WidthCalibration() {
  }

  /** Whether narrow passes of the batcher's network give every row what a wide one gives. */
  static boolean narrowPassesMatch(ForwardBatcher batcher, int maxRows, NDManager manager) {
    int wide = Math.min(maxRows, ROWS);
    if (wide <= ForwardPass.MIN_ROWS) {
      // At most MIN_ROWS rows, all passes are padded to one shape already.
      return true;
    }
    Network network = batcher.network();
    Deadline deadline = Deadline.after(Duration.ofMinutes(5));
    try (NDManager scratch = manager.newSubManager()) {
      Shape shape = network.input();
      int rowSize = Math.toIntExact(shape.size());
      int outputRowSize = Math.toIntExact(network.output().size());
      Random random = new Random(0);
      float[] x = new float[wide * rowSize];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) random.nextGaussian();
      }
      float[] t = new float[wide];
      double start = network.timeFrom();
      double end = network.timeTo();
      for (int i = 0; i < wide; i++) {
        t[i] = (float) (start + (0.05 + 0.9 * random.nextDouble()) * (end - start));
      }
      int classes = network.classCount();
      int[] labels = classes > 0
          ? IntStream.range(0, wide).map(i -> i % (classes + 1) - 1).toArray() : null;
      BiFunction<Integer, Integer, float[]> pass = (from, rows) -> batcher.run(
          scratch.create(Arrays.copyOfRange(x, from * rowSize, (from + rows) * rowSize),
              new Shape(rows).addAll(shape)),
          scratch.create(Arrays.copyOfRange(t, from, from + rows)),
          labels == null ? null : Arrays.copyOfRange(labels, from, from + rows), deadline, 0)
          .toFloatArray();
      float[] all = pass.apply(0, wide);
      for (int rows : IntStream.of(ForwardPass.MIN_ROWS, ForwardPass.MIN_ROWS + 1, wide - 1)
          .filter(r -> r < wide).distinct().toArray()) {
        for (int from : new int[] {0, wide - rows}) {
          if (!Arrays.equals(pass.apply(from, rows),
              Arrays.copyOfRange(all, from * outputRowSize, (from + rows) * outputRowSize))) {
            return false;
          }
        }
      }
    }
    return true;
  }
}
