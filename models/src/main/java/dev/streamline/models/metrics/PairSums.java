package dev.streamline.models.metrics;

import java.util.stream.IntStream;

/**
 * Sums of a function of the squared distance over all pairs of points, the O(n²) core of the
 * energy distance and the MMD. Rows run in parallel, but each row's partial sums are added in
 * row order afterwards, so results do not depend on thread scheduling.
 */
final class PairSums {

  /** Adds one pair's contributions, given its squared Euclidean distance, to {@code sums}. */
  @FunctionalInterface
  interface Term {
    void add(double squaredDistance, double[] sums);
  }

  private PairSums() {}

  /** Sums over all n·m pairs (x_i, y_j). */
  static double[] between(double[][] x, double[][] y, int width, Term term) {
    double[][] rows = new double[x.length][width];
    IntStream.range(0, x.length).parallel().forEach(i -> {
      double[] xi = x[i];
      double[] row = rows[i];
      for (double[] yj : y) {
        term.add(Samples.squaredDistance(xi, yj), row);
      }
    });
    return addRows(rows, width);
  }

  /** Sums over the n(n-1)/2 unordered pairs i < j of distinct points of x. */
  static double[] within(double[][] x, int width, Term term) {
    double[][] rows = new double[x.length][width];
    IntStream.range(0, x.length).parallel().forEach(i -> {
      double[] xi = x[i];
      double[] row = rows[i];
      for (int j = i + 1; j < x.length; j++) {
        term.add(Samples.squaredDistance(xi, x[j]), row);
      }
    });
    return addRows(rows, width);
  }

  private static double[] addRows(double[][] rows, int width) {
    double[] total = new double[width];
    for (double[] row : rows) {
      for (int k = 0; k < width; k++) {
        total[k] += row[k];
      }
    }
    return total;
  }
}
