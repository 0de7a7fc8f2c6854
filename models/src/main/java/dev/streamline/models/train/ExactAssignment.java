package dev.streamline.models.train;

import java.util.Arrays;

/**
 * The minimum-cost perfect matching of a square cost matrix (the linear assignment problem),
 * solved exactly by the Hungarian method with potentials in O(n³). For a minibatch, matching noise
 * to data under squared distance is exact discrete optimal transport, which OT-CFM trains on.
 */
public final class ExactAssignment {

  private ExactAssignment() {}

  /** column[i] is the column assigned to row i. */
  public static int[] solve(double[][] cost) {
    int n = cost.length;
    for (double[] row : cost) {
      if (row.length != n) {
        throw new IllegalArgumentException("cost matrix must be square");
      }
    }
    // 1-based arrays with a sentinel column 0, as in the shortest-augmenting-path formulation.
    double[] u = new double[n + 1];
    double[] v = new double[n + 1];
    int[] rowOfColumn = new int[n + 1];
    int[] way = new int[n + 1];
    for (int i = 1; i <= n; i++) {
      rowOfColumn[0] = i;
      int column = 0;
      double[] slack = new double[n + 1];
      boolean[] used = new boolean[n + 1];
      Arrays.fill(slack, Double.POSITIVE_INFINITY);
      do {
        used[column] = true;
        int row = rowOfColumn[column];
        double delta = Double.POSITIVE_INFINITY;
        int next = 0;
        for (int j = 1; j <= n; j++) {
          if (!used[j]) {
            double reduced = cost[row - 1][j - 1] - u[row] - v[j];
            if (reduced < slack[j]) {
              slack[j] = reduced;
              way[j] = column;
            }
            if (slack[j] < delta) {
              delta = slack[j];
              next = j;
            }
          }
        }
        for (int j = 0; j <= n; j++) {
          if (used[j]) {
            u[rowOfColumn[j]] += delta;
            v[j] -= delta;
          } else {
            slack[j] -= delta;
          }
        }
        column = next;
      } while (rowOfColumn[column] != 0);
      do {
        int previous = way[column];
        rowOfColumn[column] = rowOfColumn[previous];
        column = previous;
      } while (column != 0);
    }
    int[] assignment = new int[n];
    for (int j = 1; j <= n; j++) {
      assignment[rowOfColumn[j] - 1] = j - 1;
    }
    return assignment;
  }
}
