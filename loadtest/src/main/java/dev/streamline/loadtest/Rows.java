package dev.streamline.loadtest;

/**
 * Conversions between the float rows the service sends and takes and the double rows the
 * metrics and the analytic densities take.
 */
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

  static float[][] toFloats(double[][] rows) {
    float[][] out = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      out[i] = new float[rows[i].length];
      for (int k = 0; k < rows[i].length; k++) {
        out[i][k] = (float) rows[i][k];
      }
    }
    return out;
  }
}
