package dev.streamline.models.metrics;

import java.util.Arrays;

/**
 * Squared maximum mean discrepancy with Gaussian kernels k(a, b) = exp(−|a−b|² / (2h²)), for a
 * fixed set of bandwidths h.
 *
 * <p>No single bandwidth sees every kind of mismatch (too narrow and all points look unrelated, too
 * wide and only the means matter), so the statistic is computed for several and reported both per
 * bandwidth and as their average. The bandwidths are fixed by the caller, usually from the data
 * with {@link #medianHeuristic}, so that generated-versus-data and data-versus-data values are
 * measured with the same kernels.
 *
 * <p>Estimated by the unbiased U-statistic (Gretton et al., 2012, eq. 3), which can be slightly
 * negative when the distributions agree.
 */
public final class RbfMmd {

  /** The multiples of the median distance that {@link #medianHeuristic} uses. */
  public static final double[] MEDIAN_MULTIPLES = {0.5, 1, 2};

  /** The heuristic's cost is quadratic in this; a thousand points pin the median down well enough. */
  private static final int MEDIAN_SUBSAMPLE = 1000;

  private final double[] bandwidths;

  private RbfMmd(double[] bandwidths) {
    if (bandwidths.length == 0) {
      throw new IllegalArgumentException("at least one bandwidth is needed");
    }
    for (double h : bandwidths) {
      if (!(h > 0) || Double.isInfinite(h)) {
        throw new IllegalArgumentException("bandwidths must be positive and finite, got " + h);
      }
    }
    this.bandwidths = bandwidths.clone();
  }

  public static RbfMmd withBandwidths(double... bandwidths) {
    return new RbfMmd(bandwidths);
  }

  /**
   * Bandwidths of {@link #MEDIAN_MULTIPLES} times the median distance between distinct points of
   * {@code reference}, taken over its first thousand points (the points are assumed to be in
   * random order, as samples are).
   */
  public static RbfMmd medianHeuristic(double[][] reference) {
    double[][] points = Arrays.copyOf(reference, Math.min(reference.length, MEDIAN_SUBSAMPLE));
    Samples.dimension(points, "reference", 2);
    double[] distances = new double[points.length * (points.length - 1) / 2];
    int k = 0;
    for (int i = 0; i < points.length; i++) {
      for (int j = i + 1; j < points.length; j++) {
        distances[k++] = Math.sqrt(Samples.squaredDistance(points[i], points[j]));
      }
    }
    Arrays.sort(distances);
    int mid = distances.length / 2;
    double median = distances.length % 2 == 1
        ? distances[mid]
        : (distances[mid - 1] + distances[mid]) / 2;
    if (median == 0) {
      throw new IllegalArgumentException(
          "reference sample has median pairwise distance 0; give bandwidths explicitly");
    }
    double[] bandwidths = new double[MEDIAN_MULTIPLES.length];
    for (int b = 0; b < bandwidths.length; b++) {
      bandwidths[b] = MEDIAN_MULTIPLES[b] * median;
    }
    return new RbfMmd(bandwidths);
  }

  public double[] bandwidths() {
    return bandwidths.clone();
  }

  /** MMD² for each bandwidth, in the order of {@link #bandwidths()}; needs n, m ≥ 2. */
  public double[] squaredPerBandwidth(double[][] x, double[][] y) {
    Samples.commonDimension(x, y, 2);
    int width = bandwidths.length;
    double[] negHalfPrecision = new double[width];
    for (int b = 0; b < width; b++) {
      negHalfPrecision[b] = -0.5 / (bandwidths[b] * bandwidths[b]);
    }
    PairSums.Term kernels = (squared, sums) -> {
      for (int b = 0; b < width; b++) {
        sums[b] += Math.exp(squared * negHalfPrecision[b]);
      }
    };
    double n = x.length;
    double m = y.length;
    double[] between = PairSums.between(x, y, width, kernels);
    double[] withinX = PairSums.within(x, width, kernels);
    double[] withinY = PairSums.within(y, width, kernels);
    double[] mmd = new double[width];
    for (int b = 0; b < width; b++) {
      mmd[b] = 2 * withinX[b] / (n * (n - 1)) + 2 * withinY[b] / (m * (m - 1))
          - 2 * between[b] / (n * m);
    }
    return mmd;
  }

  /** MMD² averaged over the bandwidths. */
  public double squared(double[][] x, double[][] y) {
    return Arrays.stream(squaredPerBandwidth(x, y)).average().orElseThrow();
  }
}
