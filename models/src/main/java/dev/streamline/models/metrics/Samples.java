package dev.streamline.models.metrics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;

/** Samples in the form the two-sample statistics take, and their argument checks. */
public final class Samples {

  private Samples() {}

  /** A batch [n, ...] on the host as n flattened rows. */
  public static double[][] rows(NDArray batch) {
    double[] flat = batch.toType(DataType.FLOAT64, false).toDoubleArray();
    int n = (int) batch.getShape().get(0);
    int d = flat.length / n;
    double[][] out = new double[n][];
    for (int i = 0; i < n; i++) {
      out[i] = Arrays.copyOfRange(flat, i * d, (i + 1) * d);
    }
    return out;
  }

  /**
   * The common dimension of two samples, after checking that each has at least {@code minSize}
   * points, all of the same positive dimension.
   */
  static int commonDimension(double[][] x, double[][] y, int minSize) {
    int d = dimension(x, "first", minSize);
    int dy = dimension(y, "second", minSize);
    if (d != dy) {
      throw new IllegalArgumentException(
          "samples differ in dimension: first has " + d + ", second has " + dy);
    }
    return d;
  }

  static int dimension(double[][] sample, String which, int minSize) {
    if (sample.length < minSize) {
      throw new IllegalArgumentException(which + " sample has " + sample.length
          + " points; this statistic needs at least " + minSize);
    }
    int d = sample[0].length;
    if (d == 0) {
      throw new IllegalArgumentException(which + " sample has dimension 0");
    }
    for (int i = 1; i < sample.length; i++) {
      if (sample[i].length != d) {
        throw new IllegalArgumentException(which + " sample is ragged: point 0 has dimension " + d
            + " but point " + i + " has " + sample[i].length);
      }
    }
    return d;
  }

  static double squaredDistance(double[] a, double[] b) {
    double sum = 0;
    for (int k = 0; k < a.length; k++) {
      double diff = a[k] - b[k];
      sum += diff * diff;
    }
    return sum;
  }
}
