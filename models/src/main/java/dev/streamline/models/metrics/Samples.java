package dev.streamline.models.metrics;

/** Argument checks shared by the two-sample statistics. */
final class Samples {

  private Samples() {}

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
