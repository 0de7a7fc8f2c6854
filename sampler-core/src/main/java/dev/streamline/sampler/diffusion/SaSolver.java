package dev.streamline.sampler.diffusion;

import ai.djl.ndarray.NDArray;
import dev.streamline.sampler.FixedStepMethod;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.SamplerOption;
import dev.streamline.sampler.SamplerOptions;
import dev.streamline.sampler.SamplingLoop.Step;
import dev.streamline.sampler.TimeGrid;
import java.util.ArrayList;
import java.util.List;

/**
 * SA-Solver (Xue et al. 2023, "SA-Solver: Stochastic Adams Solver for Fast Sampling of Diffusion
 * Models"; ComfyUI's sa_solver): a stochastic Adams predictor–corrector in data prediction over
 * the log-SNR lambda, of order 4 without noise. Along the SDE family with noise strength tau, the step from s to t is
 * x_t = (sigma_t/sigma_s)·e^{-tau²h}·x_s + alpha_t·(1+tau²)∫ e^{-(1+tau²)(lambda_t - lambda)}
 * x0(lambda) dlambda + sigma_t·sqrt(1 - e^{-2tau²h})·z, with x0 replaced by the Lagrange
 * polynomial through the latest estimates: the predictor (order 3) through those up to s, the
 * corrector (order 4) redoing the last step with the estimate just made at its end, in PEC mode
 * as ComfyUI's default, so one evaluation per step. The corrector adds the same noise the
 * predictor drew. tau = eta (default 1) on the middle of the run, where the noise fraction of the
 * step's end is in [0.2, 0.8], and 0 elsewhere, as ComfyUI's default. Orders rise from 1 as the
 * history grows and, on a grid that ends at sigma = 0, fall again on the last steps, whose last
 * one lands on the x0 estimate. The start at pure noise moves to log-SNR -10
 * ({@link TimeGrid#withFiniteStart}).
 */
public final class SaSolver implements FixedStepMethod {

  private static final int PREDICTOR_ORDER = 3;
  private static final int CORRECTOR_ORDER = 4;

  private final List<NDArray> estimates = new ArrayList<>();
  private NDArray previous;
  private NDArray noise;
  private double tau;

  @Override
  public double[] grid(NoiseProcess process, SamplerOptions options, double[] times) {
    return TimeGrid.withFiniteStart(process, times);
  }

  @Override
  public NDArray step(Step step, NDArray predicted) {
    NoiseProcess p = step.process();
    double[] t = step.grid();
    int i = step.index();
    int n = step.steps();
    boolean toClean = p.sigma(t[n]) == 0;
    estimates.add(step.denoiser().estimate(predicted, t[i]).x0());
    if (estimates.size() > CORRECTOR_ORDER) {
      estimates.remove(0);
    }
    NDArray x = predicted;
    int corrector = Math.min(CORRECTOR_ORDER, estimates.size());
    if (toClean) {
      corrector = Math.min(corrector, n - i);
    }
    if (i > 0 && p.sigma(t[i + 1]) > 0) {
      x = adams(p, t, i - 1, i, previous, corrector, tau);
      if (noise != null) {
        x = x.add(noise);
      }
    }
    if (p.sigma(t[i + 1]) == 0) {
      return estimates.get(estimates.size() - 1);
    }
    int predictor = Math.min(PREDICTOR_ORDER, estimates.size());
    if (toClean) {
      predictor = Math.min(predictor, n - 1 - i);
    }
    tau = tauAt(step, p, t[i + 1]);
    NDArray next = adams(p, t, i, i, x, predictor, tau);
    double h = p.logSnr(t[i + 1]) - p.logSnr(t[i]);
    noise = tau > 0
        ? step.noise(x).mul(p.sigma(t[i + 1]) * Math.sqrt(-Math.expm1(-2 * tau * tau * h)))
        : null;
    if (noise != null) {
      next = next.add(noise);
      step.keep(noise);
    }
    estimates.replaceAll(step::keep);
    previous = step.keep(x);
    return next;
  }

  /** eta where the step's end lies in the middle of the run, 0 elsewhere. */
  private static double tauAt(Step step, NoiseProcess p, double t) {
    double fraction = p.noiseFraction(t);
    return fraction >= 0.2 && fraction <= 0.8
        ? step.options().number(SamplerOption.ETA, 1.0) : 0;
  }

  /**
   * The deterministic part of the step from t[from] to t[from + 1] starting at x, with x0 the
   * Lagrange polynomial through the last {@code order} estimates, the newest at t[last].
   */
  private NDArray adams(NoiseProcess p, double[] t, int from, int last, NDArray x, int order,
      double tau) {
    double lambdaS = p.logSnr(t[from]);
    double lambdaT = p.logSnr(t[from + 1]);
    double h = lambdaT - lambdaS;
    double[] nodes = new double[order];
    for (int j = 0; j < order; j++) {
      nodes[j] = p.logSnr(t[last - order + 1 + j]) - lambdaT;
    }
    double[] weights = lagrangeIntegrals(nodes, h, 1 + tau * tau);
    double alpha = p.alpha(t[from + 1]);
    NDArray out = x.mul(p.sigma(t[from + 1]) / p.sigma(t[from]) * Math.exp(-tau * tau * h));
    for (int j = 0; j < order; j++) {
      out = out.add(estimates.get(estimates.size() - order + j).mul(alpha * weights[j]));
    }
    return out;
  }

  /**
   * k·∫_{-h}^{0} e^{k·u}·l_j(u) du for the Lagrange basis l_j on the nodes (lambda - lambda_t):
   * the moments k·∫ e^{ku}·u^p du by parts, I_p = (0^p - (-h)^p·e^{-kh})/k - (p/k)·I_{p-1},
   * against each basis polynomial's coefficients.
   */
  static double[] lagrangeIntegrals(double[] nodes, double h, double k) {
    int n = nodes.length;
    double[] moments = new double[n];
    double decay = Math.exp(-k * h);
    for (int q = 0; q < n; q++) {
      double boundary = (q == 0 ? 1 : 0) - Math.pow(-h, q) * decay;
      moments[q] = boundary / k - (q == 0 ? 0 : q / k * moments[q - 1]);
    }
    double[] weights = new double[n];
    for (int j = 0; j < n; j++) {
      double[] coefficients = {1};
      double scale = 1;
      for (int m = 0; m < n; m++) {
        if (m != j) {
          double[] product = new double[coefficients.length + 1];
          for (int q = 0; q < coefficients.length; q++) {
            product[q + 1] += coefficients[q];
            product[q] -= coefficients[q] * nodes[m];
          }
          coefficients = product;
          scale *= nodes[j] - nodes[m];
        }
      }
      double integral = 0;
      for (int q = 0; q < n; q++) {
        integral += coefficients[q] * moments[q];
      }
      weights[j] = k * integral / scale;
    }
    return weights;
  }
}
