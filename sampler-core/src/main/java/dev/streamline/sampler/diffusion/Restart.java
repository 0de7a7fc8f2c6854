package dev.streamline.sampler.diffusion;

import ai.djl.ndarray.NDArray;
import dev.streamline.sampler.FixedStepMethod;
import dev.streamline.sampler.InvalidJobException;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.SamplerOption;
import dev.streamline.sampler.SamplerOptions;
import dev.streamline.sampler.SamplingLoop.Step;

/**
 * Restart sampling (Xu et al. 2023, "Restart Sampling for Improving Generative Processes"): the
 * deterministic Heun sampler of Karras et al. along the grid, plus a restart interval
 * [t_min, t_max] in sigma = sigma/alpha. On reaching the grid's level nearest t_min, the state is
 * noised forward to t_max by the process's own transition and solved down again, K times; the
 * added noise contracts the error the ODE steps made before, which the ODE alone carries to the
 * end. As in the paper's code, t_min snaps to the grid and t_max does not, and each re-solve is
 * a Karras grid with the run's rho.
 *
 * <p>The restarts are written into the grid itself: a step up in noise level is the forward
 * transition q(x_max | x_min), (alpha_max/alpha_min)·x + sqrt(sigma_max² - (alpha_max/alpha_min)²
 * ·sigma_min²)·z, which is the paper's x + sqrt(t_max² - t_min²)·z in x/alpha, at no evaluation;
 * a step down is {@link DiffusionSamplers#edmHeun}. So every state, restarts included, is a step
 * of the loop, checked and recorded like any other.
 */
public final class Restart implements FixedStepMethod {

  static final double DEFAULT_MIN = 0.06;
  static final double DEFAULT_MAX = 0.30;
  static final int DEFAULT_STEPS = 2;
  static final int DEFAULT_RESTARTS = 2;

  @Override
  public double[] grid(NoiseProcess process, SamplerOptions options, double[] times) {
    double min = options.number(SamplerOption.RESTART_MIN, DEFAULT_MIN);
    double max = options.number(SamplerOption.RESTART_MAX, DEFAULT_MAX);
    int steps = options.integer(SamplerOption.RESTART_STEPS, DEFAULT_STEPS);
    int restarts = options.integer(SamplerOption.RESTARTS, DEFAULT_RESTARTS);
    if (!(max > min)) {
      throw new InvalidJobException("restartMax must be above restartMin, got restartMax=" + max
          + " and restartMin=" + min);
    }
    double highest = process.edmSigma(process.noiseTime());
    if (max > highest) {
      throw new InvalidJobException(String.format(
          "restartMax=%s is above the process's noise end, sigma/alpha=%.6g", max, highest));
    }
    int at = 1;
    for (int i = 2; i < times.length; i++) {
      if (Math.abs(process.edmSigma(times[i]) - min) < Math.abs(process.edmSigma(times[at]) - min)) {
        at = i;
      }
    }
    double low = process.edmSigma(times[at]);
    if (restarts > 0 && !(low < max)) {
      throw new InvalidJobException(String.format("the grid's level nearest restartMin=%s is"
          + " sigma/alpha=%.6g, not below restartMax=%s; add steps or raise restartMax", min, low,
          max));
    }
    double[] out = new double[times.length + restarts * (steps + 1)];
    System.arraycopy(times, 0, out, 0, at + 1);
    int next = at + 1;
    double rho = options.grid().karrasRho();
    for (int k = 0; k < restarts; k++) {
      for (int j = 0; j < steps; j++) {
        double root = Math.pow(max, 1 / rho)
            + (double) j / steps * (Math.pow(low, 1 / rho) - Math.pow(max, 1 / rho));
        out[next++] = process.timeAtLogSnr(-Math.log(Math.pow(root, rho)));
      }
      out[next++] = times[at];
    }
    System.arraycopy(times, at + 1, out, next, times.length - at - 1);
    return out;
  }

  @Override
  public NDArray step(Step step, NDArray x) {
    NoiseProcess p = step.process();
    if (p.edmSigma(step.tNext()) <= p.edmSigma(step.t())) {
      return DiffusionSamplers.edmHeun(step, x);
    }
    double ratio = p.alpha(step.tNext()) / p.alpha(step.t());
    double sigma = p.sigma(step.t());
    double lift = Math.sqrt(Math.pow(p.sigma(step.tNext()), 2) - ratio * ratio * sigma * sigma);
    return x.mul(ratio).add(step.noise(x).mul(lift));
  }
}
