package dev.streamline.sampler.analytic;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A Gaussian mixture data distribution in d dimensions: the ground truth of the analytic models
 * and the exact sampler the tests compare against. Each covariance is kept with its
 * eigendecomposition, which is what makes every noised marginal easy to evaluate.
 */
public final class GaussianMixture {

  private final double[] weights;
  private final double[][] means;
  private final double[][][] covariances;
  private final double[][][] eigenvectors;
  private final double[][] eigenvalues;
  private final double[][][] cholesky;

  public GaussianMixture(double[] weights, double[][] means, double[][][] covariances) {
    int k = weights.length;
    if (k == 0 || means.length != k || covariances.length != k) {
      throw new IllegalArgumentException("a mixture needs as many means and covariances as weights");
    }
    double total = Arrays.stream(weights).sum();
    if (Arrays.stream(weights).anyMatch(w -> !(w > 0)) || Math.abs(total - 1) > 1e-9) {
      throw new IllegalArgumentException("mixture weights must be positive and sum to 1");
    }
    int d = means[0].length;
    this.weights = weights.clone();
    this.means = new double[k][];
    this.covariances = new double[k][][];
    this.eigenvectors = new double[k][][];
    this.eigenvalues = new double[k][];
    this.cholesky = new double[k][][];
    for (int c = 0; c < k; c++) {
      if (means[c].length != d || covariances[c].length != d) {
        throw new IllegalArgumentException("component " + c + " does not have dimension " + d);
      }
      this.means[c] = means[c].clone();
      this.covariances[c] = copy(covariances[c]);
      SymmetricEigen eigen = SymmetricEigen.of(covariances[c]);
      if (Arrays.stream(eigen.values()).anyMatch(v -> !(v > 0))) {
        throw new IllegalArgumentException("covariance " + c + " is not positive definite");
      }
      this.eigenvectors[c] = eigen.vectors();
      this.eigenvalues[c] = eigen.values();
      this.cholesky[c] = choleskyOf(covariances[c]);
    }
  }

  /**
   * The mixture the service serves as its analytic models: three well-separated, anisotropic
   * components in 2D.
   */
  public static GaussianMixture standard2d() {
    return new GaussianMixture(
        new double[] {0.5, 0.3, 0.2},
        new double[][] {{-2.0, 0.0}, {2.0, 1.5}, {1.0, -2.5}},
        new double[][][] {
          {{0.30, 0.10}, {0.10, 0.20}},
          {{0.15, -0.05}, {-0.05, 0.25}},
          {{0.10, 0.0}, {0.0, 0.10}}
        });
  }

  public int components() {
    return weights.length;
  }

  public int dimension() {
    return means[0].length;
  }

  public double[] weights() {
    return weights.clone();
  }

  public List<double[]> means() {
    return Arrays.stream(means).map(double[]::clone).toList();
  }

  public List<double[][]> covariances() {
    return Arrays.stream(covariances).map(GaussianMixture::copy).toList();
  }

  double[][] eigenvectors(int component) {
    return eigenvectors[component];
  }

  double[] eigenvalues(int component) {
    return eigenvalues[component];
  }

  double[] mean(int component) {
    return means[component];
  }

  /** n exact samples, row-major [n][d]. */
  public double[][] sample(int n, Random random) {
    int d = dimension();
    double[][] out = new double[n][d];
    for (int i = 0; i < n; i++) {
      int c = pick(random.nextDouble());
      double[] z = new double[d];
      for (int j = 0; j < d; j++) {
        z[j] = random.nextGaussian();
      }
      for (int r = 0; r < d; r++) {
        double v = means[c][r];
        for (int j = 0; j <= r; j++) {
          v += cholesky[c][r][j] * z[j];
        }
        out[i][r] = v;
      }
    }
    return out;
  }

  /**
   * The log-density of the noised marginal alpha·x0 + sigma·eps at a point: the mixture of
   * N(alpha·mu_k, alpha²·S_k + sigma²·I), each diagonal in its covariance's eigenbasis.
   */
  public double logDensity(double[] x, double alpha, double sigma) {
    int d = x.length;
    double[] logs = new double[weights.length];
    double top = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < weights.length; c++) {
      double log = Math.log(weights[c]) - 0.5 * d * Math.log(2 * Math.PI);
      for (int j = 0; j < d; j++) {
        double y = 0;
        for (int r = 0; r < d; r++) {
          y += eigenvectors[c][r][j] * (x[r] - alpha * means[c][r]);
        }
        double variance = alpha * alpha * eigenvalues[c][j] + sigma * sigma;
        log -= 0.5 * (y * y / variance + Math.log(variance));
      }
      logs[c] = log;
      top = Math.max(top, log);
    }
    double sum = 0;
    for (double log : logs) {
      sum += Math.exp(log - top);
    }
    return top + Math.log(sum);
  }

  /** The component with the highest posterior probability for a point. */
  public int classify(double[] x) {
    int best = 0;
    double bestLog = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < weights.length; c++) {
      double log = Math.log(weights[c]);
      for (int j = 0; j < x.length; j++) {
        double y = 0;
        for (int r = 0; r < x.length; r++) {
          y += eigenvectors[c][r][j] * (x[r] - means[c][r]);
        }
        log -= 0.5 * (y * y / eigenvalues[c][j] + Math.log(eigenvalues[c][j]));
      }
      if (log > bestLog) {
        bestLog = log;
        best = c;
      }
    }
    return best;
  }

  private int pick(double u) {
    double acc = 0;
    for (int c = 0; c < weights.length; c++) {
      acc += weights[c];
      if (u < acc) {
        return c;
      }
    }
    return weights.length - 1;
  }

  private static double[][] copy(double[][] m) {
    return Arrays.stream(m).map(double[]::clone).toArray(double[][]::new);
  }

  private static double[][] choleskyOf(double[][] a) {
    int n = a.length;
    double[][] l = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double s = a[i][j];
        for (int k = 0; k < j; k++) {
          s -= l[i][k] * l[j][k];
        }
        l[i][j] = i == j ? Math.sqrt(s) : s / l[j][j];
      }
    }
    return l;
  }
}
