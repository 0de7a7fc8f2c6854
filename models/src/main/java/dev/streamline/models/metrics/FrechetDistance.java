package dev.streamline.models.metrics;

import dev.streamline.sampler.analytic.SymmetricEigen;

/**
 * The Fréchet distance between Gaussian fits of two feature sets, the statistic of the FID (Heusel
 * et al., 2017): the squared 2-Wasserstein distance between N(μ₁, C₁) and N(μ₂, C₂),
 *
 * <pre>  ‖μ₁ − μ₂‖² + Tr(C₁ + C₂ − 2·(C₁^½ C₂ C₁^½)^½).</pre>
 *
 * <p>Both square roots are taken by symmetric eigendecomposition, which stays exact where the
 * covariances are singular (dead features, fewer points than dimensions): eigenvalues that
 * round-off pushes below zero are clipped to zero. The trace of the outer root is the sum of the
 * square roots of its argument's eigenvalues, so that matrix itself is never formed.
 */
public final class FrechetDistance {

  private FrechetDistance() {}

  /** A Gaussian fit: the sample mean and the unbiased sample covariance. */
  public record Gaussian(double[] mean, double[][] covariance) {

    public static Gaussian fit(double[][] points) {
      int d = Samples.dimension(points, "the", 2);
      int n = points.length;
      double[] mean = new double[d];
      for (double[] point : points) {
        for (int k = 0; k < d; k++) {
          mean[k] += point[k];
        }
      }
      for (int k = 0; k < d; k++) {
        mean[k] /= n;
      }
      double[][] covariance = new double[d][d];
      double[] centred = new double[d];
      for (double[] point : points) {
        for (int k = 0; k < d; k++) {
          centred[k] = point[k] - mean[k];
        }
        for (int i = 0; i < d; i++) {
          for (int j = i; j < d; j++) {
            covariance[i][j] += centred[i] * centred[j];
          }
        }
      }
      // Filled from the upper triangle so that the matrix is exactly symmetric, as the
      // eigendecomposition demands.
      for (int i = 0; i < d; i++) {
        for (int j = i; j < d; j++) {
          covariance[i][j] /= n - 1;
          covariance[j][i] = covariance[i][j];
        }
      }
      return new Gaussian(mean, covariance);
    }
  }

  /** The distance between the Gaussian fits of two samples of the same dimension. */
  public static double of(double[][] x, double[][] y) {
    Samples.commonDimension(x, y, 2);
    return between(Gaussian.fit(x), Gaussian.fit(y));
  }

  /** The distance between two Gaussians of the same dimension. */
  public static double between(Gaussian p, Gaussian q) {
    int d = p.mean().length;
    if (q.mean().length != d || p.covariance().length != d || q.covariance().length != d) {
      throw new IllegalArgumentException("Gaussians differ in dimension");
    }
    double distance = 0;
    for (int k = 0; k < d; k++) {
      double diff = p.mean()[k] - q.mean()[k];
      distance += diff * diff + p.covariance()[k][k] + q.covariance()[k][k];
    }
    double[][] root = squareRoot(p.covariance());
    double[][] inner = symmetrised(multiply(multiply(root, q.covariance()), root));
    for (double value : SymmetricEigen.of(inner).values()) {
      distance -= 2 * Math.sqrt(Math.max(value, 0));
    }
    // Round-off can leave identical inputs a hair below zero; a distance is not negative.
    return Math.max(distance, 0);
  }

  /** The symmetric positive semi-definite square root V·diag(√max(λ, 0))·Vᵀ. */
  static double[][] squareRoot(double[][] matrix) {
    SymmetricEigen eigen = SymmetricEigen.of(matrix);
    int d = matrix.length;
    double[][] v = eigen.vectors();
    double[] roots = new double[d];
    for (int k = 0; k < d; k++) {
      roots[k] = Math.sqrt(Math.max(eigen.values()[k], 0));
    }
    double[][] out = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = i; j < d; j++) {
        double sum = 0;
        for (int k = 0; k < d; k++) {
          sum += v[i][k] * roots[k] * v[j][k];
        }
        out[i][j] = sum;
        out[j][i] = sum;
      }
    }
    return out;
  }

  private static double[][] multiply(double[][] a, double[][] b) {
    int n = a.length;
    int m = b[0].length;
    double[][] out = new double[n][m];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < b.length; k++) {
        double aik = a[i][k];
        for (int j = 0; j < m; j++) {
          out[i][j] += aik * b[k][j];
        }
      }
    }
    return out;
  }

  /** (A + Aᵀ)/2: the product S·C·S is symmetric in exact arithmetic but not after round-off. */
  private static double[][] symmetrised(double[][] a) {
    int n = a.length;
    double[][] out = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = i; j < n; j++) {
        out[i][j] = 0.5 * (a[i][j] + a[j][i]);
        out[j][i] = out[i][j];
      }
    }
    return out;
  }
}
