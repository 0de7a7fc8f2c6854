package dev.streamline.sampler.ode;

/**
 * An explicit Runge–Kutta method as data: nodes c, coefficients a (lower triangle, row i holds
 * a[i][0..i-1]), weights b and, for embedded pairs, the weights of the lower-order companion.
 *
 * @param order order of the solution weights b
 * @param errorOrder order of the embedded companion (0 when there is none)
 */
public record ButcherTableau(
    String id, int order, int errorOrder, double[] c, double[][] a, double[] b, double[] bLow) {

  public int stages() {
    return b.length;
  }

  public boolean embedded() {
    return bLow != null;
  }

  /** First-same-as-last: the last stage is the derivative at the accepted step's end. */
  public boolean fsal() {
    double[] last = a[a.length - 1];
    if (!embedded() || c[c.length - 1] != 1.0 || b[b.length - 1] != 0.0) {
      return false;
    }
    for (int j = 0; j < last.length; j++) {
      if (last[j] != b[j]) {
        return false;
      }
    }
    return true;
  }

  public static final ButcherTableau EULER =
      new ButcherTableau("euler", 1, 0, new double[] {0}, new double[][] {{}}, new double[] {1}, null);

  public static final ButcherTableau MIDPOINT = new ButcherTableau("midpoint", 2, 0,
      new double[] {0, 0.5}, new double[][] {{}, {0.5}}, new double[] {0, 1}, null);

  public static final ButcherTableau HEUN = new ButcherTableau("heun", 2, 0,
      new double[] {0, 1}, new double[][] {{}, {1}}, new double[] {0.5, 0.5}, null);

  public static final ButcherTableau RK4 = new ButcherTableau("rk4", 4, 0,
      new double[] {0, 0.5, 0.5, 1},
      new double[][] {{}, {0.5}, {0, 0.5}, {0, 0, 1}},
      new double[] {1 / 6.0, 1 / 3.0, 1 / 3.0, 1 / 6.0}, null);

  /** Bogacki–Shampine 3(2). */
  public static final ButcherTableau BOSH3 = new ButcherTableau("bosh3", 3, 2,
      new double[] {0, 0.5, 0.75, 1},
      new double[][] {{}, {0.5}, {0, 0.75}, {2 / 9.0, 1 / 3.0, 4 / 9.0}},
      new double[] {2 / 9.0, 1 / 3.0, 4 / 9.0, 0},
      new double[] {7 / 24.0, 1 / 4.0, 1 / 3.0, 1 / 8.0});

  /** Dormand–Prince 5(4). */
  public static final ButcherTableau DOPRI5 = new ButcherTableau("dopri5", 5, 4,
      new double[] {0, 1 / 5.0, 3 / 10.0, 4 / 5.0, 8 / 9.0, 1, 1},
      new double[][] {
        {},
        {1 / 5.0},
        {3 / 40.0, 9 / 40.0},
        {44 / 45.0, -56 / 15.0, 32 / 9.0},
        {19372 / 6561.0, -25360 / 2187.0, 64448 / 6561.0, -212 / 729.0},
        {9017 / 3168.0, -355 / 33.0, 46732 / 5247.0, 49 / 176.0, -5103 / 18656.0},
        {35 / 384.0, 0, 500 / 1113.0, 125 / 192.0, -2187 / 6784.0, 11 / 84.0}
      },
      new double[] {35 / 384.0, 0, 500 / 1113.0, 125 / 192.0, -2187 / 6784.0, 11 / 84.0, 0},
      new double[] {
        5179 / 57600.0, 0, 7571 / 16695.0, 393 / 640.0, -92097 / 339200.0, 187 / 2100.0, 1 / 40.0
      });
}
