package dev.streamline.loadtest;

/** Conversions between the float rows received and the double rows the metrics take. */
final class Rows {

  private Rows() {}

  static double[][] toDoubles(float[][] rows) {
    double[][] out = new double[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      out[i] = new double[rows[i].length];
      for (int k = 0; k < rows[i].length; k++) {
        out[i][k] = rows[i][k];
      }
    }
    return out;
  }
}
