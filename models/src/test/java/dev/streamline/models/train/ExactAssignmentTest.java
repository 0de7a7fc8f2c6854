package dev.streamline.models.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExactAssignmentTest {

  private static double total(double[][] cost, int[] assignment) {
    double sum = 0;
    for (int i = 0; i < assignment.length; i++) {
      sum += cost[i][assignment[i]];
    }
    return sum;
  }

  /** Brute force over all permutations of a small matrix. */
  private static double best(double[][] cost, int[] perm, int k) {
    if (k == perm.length) {
      return total(cost, perm);
    }
    double min = Double.POSITIVE_INFINITY;
    for (int i = k; i < perm.length; i++) {
      int tmp = perm[k]; perm[k] = perm[i]; perm[i] = tmp;
      min = Math.min(min, best(cost, perm, k + 1));
      tmp = perm[k]; perm[k] = perm[i]; perm[i] = tmp;
    }
    return min;
  }

  @Test
  void matchesBruteForceOnRandomMatrices() {
    Random random = new Random(3);
    for (int trial = 0; trial < 50; trial++) {
      int n = 1 + random.nextInt(7);
      double[][] cost = new double[n][n];
      for (double[] row : cost) {
        for (int j = 0; j < n; j++) {
          row[j] = random.nextDouble() * 10 - 3;
        }
      }
      int[] assignment = ExactAssignment.solve(cost);
      assertThat(Arrays.stream(assignment).sorted().toArray())
          .containsExactly(java.util.stream.IntStream.range(0, n).toArray());
      int[] identity = java.util.stream.IntStream.range(0, n).toArray();
      assertThat(total(cost, assignment)).isCloseTo(best(cost, identity, 0),
          org.assertj.core.api.Assertions.within(1e-9));
    }
  }

  @Test
  void transportPairsShiftedPointsWithThemselves() {
    int n = 64;
    float[] data = new float[2 * n];
    float[] noise = new float[2 * n];
    Random random = new Random(4);
    for (int i = 0; i < 2 * n; i++) {
      data[i] = (float) (random.nextGaussian() * 5);
    }
    int[] shuffle = java.util.stream.IntStream.range(0, n).toArray();
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int tmp = shuffle[i]; shuffle[i] = shuffle[j]; shuffle[j] = tmp;
    }
    for (int i = 0; i < n; i++) {
      noise[2 * shuffle[i]] = data[2 * i] + 0.01f;
      noise[2 * shuffle[i] + 1] = data[2 * i + 1] - 0.01f;
    }
    float[] paired = Objective.pairByTransport(noise, data, n);
    for (int i = 0; i < n; i++) {
      assertThat(paired[2 * i] - data[2 * i]).isCloseTo(0.01f, org.assertj.core.api.Assertions.within(1e-5f));
      assertThat(paired[2 * i + 1] - data[2 * i + 1]).isCloseTo(-0.01f, org.assertj.core.api.Assertions.within(1e-5f));
    }
  }
}
