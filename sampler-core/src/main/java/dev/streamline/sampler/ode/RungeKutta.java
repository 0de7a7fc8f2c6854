package dev.streamline.sampler.ode;

import ai.djl.ndarray.NDArray;
import dev.streamline.sampler.Coefficients;
import dev.streamline.sampler.FixedStepMethod;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.VectorField;
import java.util.Arrays;

/**
 * The one explicit Runge–Kutta stepper: any {@link ButcherTableau} on a {@link VectorField} (the
 * probability-flow ODE dx/dt = alpha'·x0 + sigma'·eps, or it augmented with its divergence) in
 * the process's own time, either way along it. Every row has its own time and step, which is what
 * lets the adaptive driver control each sample separately.
 */
public final class RungeKutta {

  private RungeKutta() {}

  /** The stage derivatives of one step; {@code first}, when given, is reused as stage 1 (FSAL). */
  static NDArray[] stages(VectorField field, ButcherTableau tableau, NDArray x, double[] t,
      double[] h, NDArray hColumn, int[] rows, NDArray first) {
    NDArray[] k = new NDArray[tableau.stages()];
    k[0] = first != null ? first : field.at(x, t, rows);
    for (int s = 1; s < k.length; s++) {
      double[] ts = new double[t.length];
      for (int i = 0; i < t.length; i++) {
        ts[i] = t[i] + tableau.c()[s] * h[i];
      }
      k[s] = field.at(advance(x, hColumn, k, tableau.a()[s]), ts, rows);
    }
    return k;
  }

  /** x + h·Σ w_j·k_j over the stages the weights cover. */
  static NDArray advance(NDArray x, NDArray hColumn, NDArray[] k, double[] weights) {
    NDArray sum = null;
    for (int j = 0; j < weights.length; j++) {
      if (weights[j] != 0) {
        NDArray term = weights[j] == 1 ? k[j] : k[j].mul(weights[j]);
        sum = sum == null ? term : sum.add(term);
      }
    }
    return sum == null ? x : x.add(sum.mul(hColumn));
  }

  static NDArray column(double[] values, NDArray like) {
    return Coefficients.column(like.getManager(), values,
        Coefficients.broadcastShape(values.length, like.getShape().dimension()), like.getDataType());
  }

  /** The tableau as a fixed-step sampler: one step of it from t to t_next for every row. */
  public static FixedStepMethod fixedStep(ButcherTableau tableau) {
    return (step, x) -> {
      int n = (int) x.getShape().get(0);
      double[] t = new double[n];
      double[] h = new double[n];
      Arrays.fill(t, step.t());
      Arrays.fill(h, step.tNext() - step.t());
      NDArray hColumn = column(h, x);
      NDArray[] k = stages(step.field(), tableau, x, t, h, hColumn, null, null);
      return advance(x, hColumn, k, tableau.b());
    };
  }

  /** An embedded tableau as the pair an adaptive run attempts. */
  public static EmbeddedPair embedded(ButcherTableau tableau) {
    if (!tableau.embedded()) {
      throw new IllegalArgumentException(tableau.id() + " has no embedded error estimate");
    }
    int[] stiffnessPair = sameNode(tableau);
    return new EmbeddedPair() {
      @Override public String id() { return tableau.id(); }
      @Override public int order() { return tableau.order(); }
      @Override public int errorOrder() { return tableau.errorOrder(); }
      @Override public int evaluations() { return tableau.stages(); }
      @Override public boolean fsal() { return tableau.fsal(); }

      @Override
      public Attempt attempt(VectorField field, NoiseProcess process, NDArray x, double[] t,
          double[] h, int[] rows, NDArray first, boolean stiffness) {
        NDArray hColumn = column(h, x);
        NDArray[] k = stages(field, tableau, x, t, h, hColumn, rows, first);
        NDArray next = advance(x, hColumn, k, tableau.b());
        NDArray low = advance(x, hColumn, k, tableau.bLow());
        return new Attempt(next, low, k[0], tableau.fsal() ? k[k.length - 1] : null,
            stiffness && stiffnessPair != null
                ? stiffness(tableau, stiffnessPair, x, hColumn, k, next, h) : null);
      }
    };
  }

  /** The last two stages evaluated at one node (DOPRI5's sixth and seventh), or null. */
  private static int[] sameNode(ButcherTableau tableau) {
    double[] c = tableau.c();
    for (int j = c.length - 1; j > 0; j--) {
      for (int i = j - 1; i >= 0; i--) {
        if (c[i] == c[j] && i > 0) {
          return new int[] {i, j};
        }
      }
    }
    return null;
  }

  /**
   * Hairer's stiffness estimate h·|λ| per row (Hairer &amp; Wanner II, IV.2): two stages at one
   * node differ by about J·(their arguments' difference), so h·‖k_j − k_i‖/‖y_j − y_i‖ estimates
   * h times the Jacobian's dominant eigenvalue.
   */
  private static double[] stiffness(ButcherTableau tableau, int[] pair, NDArray x,
      NDArray hColumn, NDArray[] k, NDArray next, double[] h) {
    int i = pair[0];
    int j = pair[1];
    NDArray yi = advance(x, hColumn, k, tableau.a()[i]);
    NDArray yj = j == tableau.stages() - 1 && tableau.fsal() ? next
        : advance(x, hColumn, k, tableau.a()[j]);
    double[] slope = AdaptiveRungeKutta.rms(k[j].sub(k[i]));
    double[] spread = AdaptiveRungeKutta.rms(yj.sub(yi));
    double[] out = new double[h.length];
    for (int r = 0; r < out.length; r++) {
      out[r] = spread[r] > 0 ? Math.abs(h[r]) * slope[r] / spread[r] : 0;
    }
    return out;
  }
}
