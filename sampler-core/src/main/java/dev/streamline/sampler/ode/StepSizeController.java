package dev.streamline.sampler.ode;

/**
 * PI step-size control (Gustafsson; Hairer &amp; Wanner II.IV.2): the next step scales the last by
 * safety · err^(-alpha) · errPrev^(beta), bounded, where err is the scaled error norm of the step
 * (accept when err <= 1). A rejected step only shrinks. All step-size policy lives here.
 */
public record StepSizeController(
    double safety, double minFactor, double maxFactor, double alpha, double beta) {

  /** Controller for an embedded estimate of order {@code errorOrder}. */
  public static StepSizeController forErrorOrder(int errorOrder) {
    double k = errorOrder + 1;
    return new StepSizeController(0.9, 0.2, 10.0, 0.7 / k, 0.4 / k);
  }

  private static final double ERROR_FLOOR = 1e-10;

  public double factor(double error, double previousError, boolean accepted) {
    if (Double.isNaN(error)) {
      // A stage left the finite range: no power law applies, so shrink as far as one step may.
      return minFactor;
    }
    double e = Math.max(error, ERROR_FLOOR);
    if (!accepted) {
      return Math.max(minFactor, Math.min(1.0, safety * Math.pow(e, -alpha)));
    }
    double f = safety * Math.pow(e, -alpha) * Math.pow(Math.max(previousError, ERROR_FLOOR), beta);
    return Math.max(minFactor, Math.min(maxFactor, f));
  }

  /**
   * Hairer's starting step from the derivative f0 at the start and the change of the derivative
   * over the trial step h0; every norm is the scaled RMS used for acceptance.
   */
  public static double initialStep(double derivativeNorm, double h0,
      double secondDerivativeNorm, int order, double interval) {
    double h1;
    double largest = Math.max(derivativeNorm, secondDerivativeNorm);
    // Non-finite when the trial step met a non-finite velocity: start small and let the
    // controller find out how far the field stays finite.
    if (largest <= 1e-15 || !Double.isFinite(largest)) {
      h1 = Math.max(1e-6, h0 * 1e-3);
    } else {
      h1 = Math.pow(0.01 / largest, 1.0 / (order + 1));
    }
    return Math.min(Math.min(100 * h0, h1), interval);
  }

  /** Hairer's trial step: 1% of the state over its rate of change. */
  public static double trialStep(double stateNorm, double derivativeNorm, double interval) {
    double h0 = stateNorm < 1e-5 || derivativeNorm < 1e-5 || !Double.isFinite(derivativeNorm)
        ? 1e-6 : 0.01 * stateNorm / derivativeNorm;
    return Math.min(h0, interval);
  }
}
