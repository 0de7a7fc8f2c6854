package dev.streamline.models.metrics;

import java.util.SplittableRandom;

/** Seeded draws from unit-variance isotropic Gaussians, the test distributions with known answers. */
final class GaussianSamples {

  private GaussianSamples() {}

  static double[][] draw(int n, double[] mean, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[][] points = new double[n][mean.length];
    for (double[] point : points) {
      for (int k = 0; k < mean.length; k++) {
        point[k] = mean[k] + random.nextGaussian();
      }
    }
    return points;
  }

  static double[][] shifted(double[][] points, double[] shift) {
    double[][] moved = new double[points.length][];
    for (int i = 0; i < points.length; i++) {
      moved[i] = points[i].clone();
      for (int k = 0; k < shift.length; k++) {
        moved[i][k] += shift[k];
      }
    }
    return moved;
  }
}
