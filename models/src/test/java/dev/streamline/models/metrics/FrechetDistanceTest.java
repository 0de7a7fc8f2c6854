package dev.streamline.models.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FrechetDistanceTest {

  /** n points with independent coordinates k ~ N(mean[k], variance[k]). */
  private static double[][] diagonalGaussian(int n, double[] mean, double[] variance, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[][] points = new double[n][mean.length];
    for (double[] point : points) {
      for (int k = 0; k < mean.length; k++) {
        point[k] = mean[k] + Math.sqrt(variance[k]) * random.nextGaussian();
      }
    }
    return points;
  }

  /** Points with correlated coordinates: a fixed random linear map of standard normals. */
  private static double[][] correlated(int n, int d, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[][] map = new double[d][d];
    for (double[] row : map) {
      for (int j = 0; j < d; j++) {
        row[j] = random.nextGaussian();
      }
    }
    double[][] points = new double[n][d];
    for (double[] point : points) {
      double[] z = new double[d];
      for (int j = 0; j < d; j++) {
        z[j] = random.nextGaussian();
      }
      for (int i = 0; i < d; i++) {
        for (int j = 0; j < d; j++) {
          point[i] += map[i][j] * z[j];
        }
      }
    }
    return points;
  }

  @Test
  void identicalSetsAreAtZero() {
    double[][] x = correlated(500, 6, 1);
    assertThat(FrechetDistance.of(x, x)).isCloseTo(0, within(1e-9));
    // Fewer points than dimensions: a singular covariance, whose root must still be exact.
    double[][] few = correlated(4, 10, 2);
    assertThat(FrechetDistance.of(few, few)).isCloseTo(0, within(1e-9));
  }

  @Test
  void samplesOfDiagonalGaussiansApproachTheClosedForm() {
    double[] meanA = {0, 0, 0};
    double[] meanB = {1, -0.5, 2};
    double[] varA = {1, 4, 0.25};
    double[] varB = {2.25, 1, 1};
    // Commuting covariances: ‖Δμ‖² + Σ (√a − √b)² = 5.25 + (0.25 + 1 + 0.25).
    double exact = 6.75;

    double estimate = FrechetDistance.of(diagonalGaussian(40_000, meanA, varA, 3),
        diagonalGaussian(40_000, meanB, varB, 4));

    assertThat(estimate).isCloseTo(exact, within(0.1));
    assertThat(FrechetDistance.of(diagonalGaussian(40_000, meanA, varA, 5),
        diagonalGaussian(40_000, meanA, varA, 6))).isLessThan(0.01);
  }

  @Test
  void gaussiansSharingEigenvectorsMatchTheClosedFormExactly() {
    double angle = 0.7;
    double[][] q = {{Math.cos(angle), -Math.sin(angle)}, {Math.sin(angle), Math.cos(angle)}};
    FrechetDistance.Gaussian p = new FrechetDistance.Gaussian(new double[] {1, 2},
        rotated(q, 9, 0.25));
    FrechetDistance.Gaussian r = new FrechetDistance.Gaussian(new double[] {-1, 2},
        rotated(q, 4, 1));

    assertThat(FrechetDistance.between(p, r))
        .isCloseTo(4 + (3 - 2) * (3 - 2) + (0.5 - 1) * (0.5 - 1), within(1e-10));
  }

  @Test
  void nonCommutingCovariancesMatchTheTwoByTwoFormula() {
    double[][] a = {{2, 0.6}, {0.6, 1}};
    double[][] b = {{0.5, -0.3}, {-0.3, 3}};
    // For 2×2 PSD M, Tr √M = √(Tr M + 2√det M); here M = A^½ B A^½, with Tr M = Tr AB and
    // det M = det A · det B.
    double traceAb = a[0][0] * b[0][0] + a[0][1] * b[1][0] + a[1][0] * b[0][1] + a[1][1] * b[1][1];
    double detA = a[0][0] * a[1][1] - a[0][1] * a[1][0];
    double detB = b[0][0] * b[1][1] - b[0][1] * b[1][0];
    double cross = Math.sqrt(traceAb + 2 * Math.sqrt(detA * detB));
    double exact = 0.25 + 1 + (3 + 3.5 - 2 * cross);

    double distance = FrechetDistance.between(new FrechetDistance.Gaussian(new double[] {0, 0}, a),
        new FrechetDistance.Gaussian(new double[] {0.5, 1}, b));

    assertThat(distance).isCloseTo(exact, within(1e-10));
  }

  @Test
  void isSymmetricInItsArguments() {
    double[][] x = correlated(300, 8, 7);
    double[][] y = GaussianSamples.shifted(correlated(400, 8, 8), new double[] {1, 0, 0, 0, 0,
        0, 0, 2});

    double forward = FrechetDistance.of(x, y);
    assertThat(forward).isGreaterThan(1);
    assertThat(FrechetDistance.of(y, x)).isCloseTo(forward, within(1e-9 * forward));
  }

  @Test
  void handlesFeatureSpacesOfTheClassifiersSize() {
    double[][] x = correlated(400, 128, 9);
    double[][] y = correlated(400, 128, 10);

    double distance = FrechetDistance.of(x, y);

    // Different random linear maps; 400 points leave the 128×128 covariances near-singular.
    assertThat(distance).isGreaterThan(0);
    assertThat(FrechetDistance.of(x, x)).isCloseTo(0, within(1e-6 * distance));
    assertThat(FrechetDistance.of(y, x)).isCloseTo(distance, within(1e-9 * distance));
  }

  @Test
  void rejectsSamplesOfDifferentDimensions() {
    assertThatThrownBy(() -> FrechetDistance.of(new double[][] {{1, 2}, {3, 4}},
        new double[][] {{1}, {2}})).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dimension");
    assertThatThrownBy(() -> FrechetDistance.of(new double[][] {{1, 2}},
        new double[][] {{1, 2}, {3, 4}})).isInstanceOf(IllegalArgumentException.class);
  }

  private static double[][] rotated(double[][] q, double a, double b) {
    double[][] out = new double[2][2];
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 2; j++) {
        out[i][j] = q[i][0] * a * q[j][0] + q[i][1] * b * q[j][1];
      }
    }
    // Exactly symmetric, as a covariance is.
    out[1][0] = out[0][1];
    return out;
  }
}
