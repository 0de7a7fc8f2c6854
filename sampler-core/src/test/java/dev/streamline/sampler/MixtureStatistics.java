package dev.streamline.sampler;

import dev.streamline.sampler.analytic.GaussianMixture;

/** Per-component weights, means and covariances of samples assigned by the mixture's posterior. */
record MixtureStatistics(double[] weights, double[][] means, double[][][] covariances) {

  static MixtureStatistics of(GaussianMixture mixture, double[][] samples) {
    int k = mixture.components();
    int d = mixture.dimension();
    int[] count = new int[k];
    double[][] sum = new double[k][d];
    double[][][] outer = new double[k][d][d];
    for (double[] x : samples) {
      int c = mixture.classify(x);
      count[c]++;
      for (int i = 0; i < d; i++) {
        sum[c][i] += x[i];
        for (int j = 0; j < d; j++) {
          outer[c][i][j] += x[i] * x[j];
        }
      }
    }
    double[] weights = new double[k];
    double[][] means = new double[k][d];
    double[][][] covariances = new double[k][d][d];
    for (int c = 0; c < k; c++) {
      weights[c] = count[c] / (double) samples.length;
      for (int i = 0; i < d; i++) {
        means[c][i] = sum[c][i] / count[c];
      }
      for (int i = 0; i < d; i++) {
        for (int j = 0; j < d; j++) {
          covariances[c][i][j] = outer[c][i][j] / count[c] - means[c][i] * means[c][j];
        }
      }
    }
    return new MixtureStatistics(weights, means, covariances);
  }

  /** Largest absolute difference in weights, means and covariances. */
  double[] distance(MixtureStatistics other) {
    double w = 0;
    double m = 0;
    double s = 0;
    for (int c = 0; c < weights.length; c++) {
      w = Math.max(w, Math.abs(weights[c] - other.weights[c]));
      for (int i = 0; i < means[c].length; i++) {
        m = Math.max(m, Math.abs(means[c][i] - other.means[c][i]));
        for (int j = 0; j < means[c].length; j++) {
          s = Math.max(s, Math.abs(covariances[c][i][j] - other.covariances[c][i][j]));
        }
      }
    }
    return new double[] {w, m, s};
  }

  /** The V-statistic energy distance 2E|X-Y| - E|X-X'| - E|Y-Y'| between two sample sets. */
  static double energyDistance(double[][] a, double[][] b) {
    return 2 * meanDistance(a, b) - meanDistance(a, a) - meanDistance(b, b);
  }

  private static double meanDistance(double[][] a, double[][] b) {
    double total = 0;
    for (double[] x : a) {
      for (double[] y : b) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
          double diff = x[i] - y[i];
          s += diff * diff;
        }
        total += Math.sqrt(s);
      }
    }
    return total / ((double) a.length * b.length);
  }
}
