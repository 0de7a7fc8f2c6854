package dev.streamline.models.metrics;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Sliced Wasserstein-2 distance: the root mean square, over random unit directions θ, of the
 * one-dimensional Wasserstein-2 distance between the projections θ·X and θ·Y, each of which is
 * exact from sorted samples.
 *
 * <p>The directions are drawn uniformly on the sphere from a fixed seed, so two calls in the same
 * dimension use the same directions, and a generated-versus-data value and its data-versus-data
 * floor are measured along the same slices. Because it averages over directions, a pure shift by s
 * gives |s|/√d rather than |s|.
 */
public final class SlicedWasserstein {

  private final int projections;
  private final long seed;

  public SlicedWasserstein(int projections, long seed) {
    if (projections < 1) {
      throw new IllegalArgumentException("need at least one projection, got " + projections);
    }
    this.projections = projections;
    this.seed = seed;
  }

  /** The distance between samples {@code x} (n × d) and {@code y} (m × d); sizes may differ. */
  public double distance(double[][] x, double[][] y) {
    int d = Samples.commonDimension(x, y, 1);
    double[][] directions = directions(d);
    double[] squared = new double[projections];
    IntStream.range(0, projections).parallel().forEach(p -> squared[p] =
        squaredDistance1d(project(x, directions[p]), project(y, directions[p])));
    double sum = 0;
    for (double s : squared) {
      sum += s;
    }
    return Math.sqrt(sum / projections);
  }

  private double[][] directions(int d) {
    SplittableRandom random = new SplittableRandom(seed);
    double[][] directions = new double[projections][d];
    for (double[] direction : directions) {
      double norm;
      do {
        double squaredNorm = 0;
        for (int k = 0; k < d; k++) {
          direction[k] = random.nextGaussian();
          squaredNorm += direction[k] * direction[k];
        }
        norm = Math.sqrt(squaredNorm);
      } while (norm == 0);
      for (int k = 0; k < d; k++) {
        direction[k] /= norm;
      }
    }
    return directions;
  }

  private static double[] project(double[][] sample, double[] direction) {
    double[] projected = new double[sample.length];
    for (int i = 0; i < sample.length; i++) {
      double dot = 0;
      for (int k = 0; k < direction.length; k++) {
        dot += sample[i][k] * direction[k];
      }
      projected[i] = dot;
    }
    Arrays.sort(projected);
    return projected;
  }

  /**
   * W2² between the empirical distributions of two sorted arrays: the integral over u in [0, 1] of
   * the squared difference of their quantile functions, which are step functions with steps at
   * multiples of 1/n and 1/m. Steps are tracked in units of 1/(n·m) so that they line up exactly.
   */
  static double squaredDistance1d(double[] a, double[] b) {
    long n = a.length;
    long m = b.length;
    int i = 0;
    int j = 0;
    long at = 0;
    double sum = 0;
    while (i < n && j < m) {
      long nextA = (i + 1) * m;
      long nextB = (j + 1) * n;
      long next = Math.min(nextA, nextB);
      double diff = a[i] - b[j];
      sum += (next - at) * diff * diff;
      at = next;
      if (nextA == next) {
        i++;
      }
      if (nextB == next) {
        j++;
      }
    }
    return sum / (n * m);
  }
}
