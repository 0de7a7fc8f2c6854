package dev.streamline.sampler.ode;

import ai.djl.ndarray.NDArray;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.VectorField;

/**
 * What {@link AdaptiveRungeKutta} attempts at each step: a solution and an embedded companion of
 * lower order from the same evaluations, whose difference is the error the step-size control
 * reads. An explicit Runge–Kutta tableau is one ({@link RungeKutta#embedded}); so is a pair of
 * exponential integrators that step in log-SNR (dpm-adaptive).
 */
public interface EmbeddedPair {

  String id();

  /** Order of the solution: it sets Hairer's starting step. */
  int order();

  /** Order of the companion: it sets the controller's exponents. */
  int errorOrder();

  /** Field evaluations per attempt, the first one included. */
  int evaluations();

  /** First-same-as-last: the attempt's last evaluation is the field at its solution. */
  boolean fsal();

  /**
   * One attempt from each row's time t by its signed step h.
   *
   * @param first the field at x, reused as the first evaluation; null when not known
   * @param stiffness whether to estimate h·|λ| per row, where the pair can
   */
  Attempt attempt(VectorField field, NoiseProcess process, NDArray x, double[] t, double[] h,
      int[] rows, NDArray first, boolean stiffness);

  /**
   * @param first the field at the start
   * @param last the field at {@code next} for an FSAL pair, else null
   * @param stiffness h·|λ| per row, or null
   */
  record Attempt(NDArray next, NDArray low, NDArray first, NDArray last, double[] stiffness) {}
}
