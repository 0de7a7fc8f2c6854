package dev.streamline.sampler.diffusion;

import ai.djl.ndarray.NDArray;
import dev.streamline.sampler.Denoiser;
import dev.streamline.sampler.Estimate;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.SamplerOption;
import dev.streamline.sampler.SamplingLoop.Step;

/**
 * k-diffusion's single-step samplers (Crowson, k_diffusion/sampling.py): DPM-Solver-2 as Karras et
 * al. (2022) adapt it, and the ancestral samplers, which take a deterministic step to a noise
 * level below the next one and add fresh noise back up to it ({@link AncestralStep}). k-diffusion
 * writes them in y = x/alpha and sigma/alpha = e^-lambda; here they are in x and the process's
 * (alpha, sigma), so they run on every process, and where a step starts at pure noise
 * (lambda = -inf) only its Euler limit exists and is taken.
 */
public final class AncestralSamplers {

  private AncestralSamplers() {}

  /**
   * Euler ancestral (k-diffusion's sample_euler_ancestral): the Euler step in y to the split's
   * down level, y + (down/alpha_s - sigma/alpha)·eps, then up·z. In x that step is
   * alpha_s·x0 + down·eps, DDIM's update with the same eta, so it is DDIM's method with eta
   * defaulting to 1, where it is DDPM's posterior.
   */
  public static NDArray eulerAncestral(Step step, NDArray x) {
    return DiffusionSamplers.ddim(step, x, eta(step));
  }

  /**
   * DPM-2 (k-diffusion's sample_dpm_2, without churn): an Euler half step to the midpoint in
   * log sigma, then the whole step with the slope eps taken there. First order on a step to
   * sigma = 0, as k-diffusion and Karras et al. do.
   */
  public static NDArray dpm2(Step step, NDArray x) {
    return dpm2(step, x, 0);
  }

  /** DPM-2 ancestral (k-diffusion's sample_dpm_2_ancestral): DPM-2 to the down level, then up·z. */
  public static NDArray dpm2Ancestral(Step step, NDArray x) {
    return dpm2(step, x, eta(step));
  }

  /**
   * In y: y_mid = y + (s_mid - s)·eps, y_down = y + (s_down - s)·eps_mid, s = sigma/alpha. The
   * first is alpha_mid·x0 + sigma_mid·eps in x; the second, times alpha_s, is
   * (alpha_s/alpha)·x + (down - alpha_s·s)·eps_mid.
   */
  private static NDArray dpm2(Step step, NDArray x, double eta) {
    NoiseProcess p = step.process();
    double t = step.t();
    Estimate e = step.denoiser().estimate(x, t);
    AncestralStep split = AncestralStep.of(p, t, step.tNext(), eta);
    if (split.eulerOnly(p, t)) {
      return split.noised(step, split.euler(e));
    }
    double tMid = split.midpoint(p, t);
    NDArray xMid = e.x0().mul(p.alpha(tMid)).add(e.eps().mul(p.sigma(tMid)));
    NDArray epsMid = step.denoiser().estimate(xMid, tMid).eps();
    double scale = split.alphaNext() / p.alpha(t);
    NDArray next = x.mul(scale).add(epsMid.mul(split.down() - scale * p.sigma(t)));
    return split.noised(step, next);
  }

  /**
   * DPM-Solver++(2S) ancestral (Lu et al. 2022, Algorithm 1 with r = 1/2; k-diffusion's
   * sample_dpmpp_2s_ancestral): with h = lambda_down - lambda, the first-order DPM-Solver++ step
   * to the midpoint in log-SNR, (sigma_mid/sigma)·x + alpha_mid·(1 - e^{-h/2})·x0, then the whole
   * step with the x0 estimated there, (down/sigma)·x + alpha_s·(1 - e^{-h})·x0_mid, then up·z.
   */
  public static NDArray dpmpp2sAncestral(Step step, NDArray x) {
    NoiseProcess p = step.process();
    double t = step.t();
    boolean plusPlus = DiffusionSamplers.cfgPlusPlus(step);
    Denoiser.Guided g = plusPlus ? step.denoiser().guided(x, t) : null;
    Estimate e = plusPlus ? g.unconditional() : step.denoiser().estimate(x, t);
    AncestralStep split = AncestralStep.of(p, t, step.tNext(), eta(step));
    // CFG++ (ComfyUI's dpmpp_2s_ancestral_cfg_pp): the step of the unconditional model, moved by
    // alpha_s × the guidance of its first evaluation in x0.
    NDArray guidance = plusPlus
        ? g.estimate().x0().sub(e.x0()).mul(split.alphaNext()) : null;
    if (split.eulerOnly(p, t)) {
      return split.noised(step, guided(split.euler(e), guidance));
    }
    double lambda = p.logSnr(t);
    double sigma = p.sigma(t);
    double tMid = split.midpoint(p, t);
    // The midpoint's own log-SNR, not the half of h: a tabulated process may clamp the time.
    double hMid = p.logSnr(tMid) - lambda;
    NDArray xMid = x.mul(p.sigma(tMid) / sigma)
        .add(e.x0().mul(p.alpha(tMid) * -Math.expm1(-hMid)));
    NDArray x0Mid = plusPlus ? step.denoiser().unconditional(xMid, tMid).x0()
        : step.denoiser().estimate(xMid, tMid).x0();
    return split.noised(step, guided(split.dpmSolver(x, sigma, lambda, x0Mid), guidance));
  }

  private static NDArray guided(NDArray next, NDArray guidance) {
    return guidance == null ? next : next.add(guidance);
  }

  /**
   * DPM-Solver++ SDE (k-diffusion's sample_dpmpp_sde; Lu et al. 2022 with r = 1/2): with h the
   * whole step in log-SNR, the first-order step with eta's ancestral split to the midpoint
   * lambda + h/2, its noise added, and x0 estimated there; then the whole step from x with that
   * estimate (at r = 1/2 the blend (1 - 1/2r)·x0 + (1/2r)·x0_mid is x0_mid) and the whole step's
   * split. As in k-diffusion both noises start at t, the second over the whole step. From pure
   * noise and on a step to sigma = 0 only the first-order step is taken, at one evaluation.
   */
  public static NDArray dpmppSde(Step step, NDArray x) {
    NoiseProcess p = step.process();
    double t = step.t();
    double tNext = step.tNext();
    Estimate e = step.denoiser().estimate(x, t);
    AncestralStep whole = AncestralStep.of(p, t, tNext, eta(step));
    if (whole.eulerOnly(p, t)) {
      return whole.noised(step, whole.euler(e));
    }
    double lambda = p.logSnr(t);
    double sigma = p.sigma(t);
    double tMid = p.timeAtLogSnr(0.5 * (lambda + p.logSnr(tNext)));
    AncestralStep half = AncestralStep.of(p, t, tMid, eta(step));
    NDArray xMid = half.noised(step, half.dpmSolver(x, sigma, lambda, e.x0()), t, tMid);
    NDArray x0Mid = step.denoiser().estimate(xMid, tMid).x0();
    return whole.noised(step, whole.dpmSolver(x, sigma, lambda, x0Mid));
  }

  /**
   * Multistep consistency sampling (Song et al. 2023, Algorithm 1; k-diffusion's sample_lcm, for
   * the latent consistency models of Luo et al. 2023): the x0 estimate noised afresh to the next
   * level, alpha_s·x0 + sigma_s·z, and at sigma_s = 0 the estimate itself. It is the ancestral
   * step whose next level is all fresh noise (down = 0): nothing of x but its estimate carries on.
   */
  public static NDArray lcm(Step step, NDArray x) {
    NoiseProcess p = step.process();
    NDArray next = step.denoiser().estimate(x, step.t()).x0().mul(p.alpha(step.tNext()));
    double sigma = p.sigma(step.tNext());
    return sigma > 0 ? next.add(step.noise(next).mul(sigma)) : next;
  }

  /** The ancestral samplers' eta: 1 by default, the DDPM posterior's noise, as in k-diffusion. */
  private static double eta(Step step) {
    return step.options().number(SamplerOption.ETA, 1.0);
  }
}
