package dev.streamline.sampler.diffusion;

import ai.djl.ndarray.NDArray;
import dev.streamline.sampler.Estimate;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.SamplerOption;
import dev.streamline.sampler.SamplingLoop.Step;

/**
 * k-diffusion's get_ancestral_step in x rather than x/alpha: the noise level sigma_s of the step's
 * end is split into {@code down}, the level the deterministic step aims at, and {@code up}, the
 * fresh noise added after it, down² + up² = sigma_s². Up is eta × the DDPM posterior standard
 * deviation, capped at sigma_s, which is k-diffusion's sigma_up times alpha_s.
 *
 * @param lambdaDown the log-SNR log(alpha_s/down) that the deterministic step ends at
 */
record AncestralStep(double alphaNext, double down, double up, double lambdaDown) {

  static AncestralStep of(NoiseProcess p, double t, double tNext, double eta) {
    double sigmaNext = p.sigma(tNext);
    // eta = 0 reads no posterior: run backwards (DDIM inversion) that would be the root of a
    // negative number.
    double up = eta > 0 ? Math.min(sigmaNext, eta * posteriorSigma(p, t, tNext)) : 0;
    double down = Math.sqrt(sigmaNext * sigmaNext - up * up);
    double lambdaDown = up == 0 ? p.logSnr(tNext) : p.logSnr(tNext) - Math.log(down / sigmaNext);
    return new AncestralStep(p.alpha(tNext), down, up, lambdaDown);
  }

  /** Standard deviation of q(x_s | x_t, x0): sigma_s·sqrt(1 - exp(2(lambda_t - lambda_s))). */
  static double posteriorSigma(NoiseProcess p, double t, double s) {
    double sigma = p.sigma(s);
    if (sigma == 0) {
      return 0;
    }
    return sigma * Math.sqrt(-Math.expm1(2 * (p.logSnr(t) - p.logSnr(s))));
  }

  /**
   * Whether only the Euler step exists: from pure noise (lambda = -inf) there is no midpoint in
   * log-SNR, and at down = 0 (sigma = 0) none is needed, the step lands on the x0 estimate.
   */
  boolean eulerOnly(NoiseProcess p, double t) {
    return down == 0 || p.logSnr(t) == Double.NEGATIVE_INFINITY;
  }

  /**
   * The Euler step to down, x/alpha + (down/alpha_s - sigma/alpha)·eps times alpha_s, written as
   * alpha_s·x0 + down·eps, which stays finite at alpha = 0.
   */
  NDArray euler(Estimate e) {
    return e.x0().mul(alphaNext).add(e.eps().mul(down));
  }

  /** The time halfway in log-SNR from t to the deterministic step's end. */
  double midpoint(NoiseProcess p, double t) {
    return p.timeAtLogSnr(0.5 * (p.logSnr(t) + lambdaDown));
  }

  /**
   * DPM-Solver++'s first-order step from x at (sigma, lambda) to down, with the estimate x0:
   * (down/sigma)·x + alpha_s·(1 - e^-(lambdaDown - lambda))·x0.
   */
  NDArray dpmSolver(NDArray x, double sigma, double lambda, NDArray x0) {
    double h = lambdaDown - lambda;
    return x.mul(down / sigma).add(x0.mul(alphaNext * -Math.expm1(-h)));
  }

  /** The deterministic step's result with the fresh noise up·z added, z the step's noise. */
  NDArray noised(Step step, NDArray next) {
    return noised(step, next, step.t(), step.tNext());
  }

  /** As {@link #noised(Step, NDArray)} with z the noise over (from, to), times noiseScale. */
  NDArray noised(Step step, NDArray next, double from, double to) {
    double scale = step.options().number(SamplerOption.NOISE_SCALE, 1.0);
    return up > 0 && scale > 0 ? next.add(step.noise(next, from, to).mul(up * scale)) : next;
  }
}
