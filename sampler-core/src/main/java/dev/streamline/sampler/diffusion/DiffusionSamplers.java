package dev.streamline.sampler.diffusion;

import ai.djl.ndarray.NDArray;
import dev.streamline.sampler.Denoiser;
import dev.streamline.sampler.Estimate;
import dev.streamline.sampler.FixedStepMethod;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.SamplerOption;
import dev.streamline.sampler.SamplerOptions;
import dev.streamline.sampler.SamplingLoop.Step;

/**
 * The samplers of the diffusion literature, each written as in its paper but in the general
 * (alpha, sigma) form of {@link NoiseProcess}, so they run on VP, VE, EDM and flow processes
 * alike. The lambda below is the log-SNR log(alpha/sigma); at a pure-noise end it is -inf and the
 * updates reduce to their limits (exp(-inf) = 0) rather than dividing by alpha = 0. Each is one
 * step from t to t_next ({@link FixedStepMethod}); the multistep methods are made fresh per run.
 */
public final class DiffusionSamplers {

  private DiffusionSamplers() {}

  /**
   * DDIM (Song, Meng &amp; Ermon 2021, eq. 12): x_s = alpha_s·x0 + sqrt(sigma_s² - σ̃²)·eps + σ̃·z
   * with σ̃ = eta × the DDPM posterior standard deviation; eta = 0 is deterministic.
   */
  public static NDArray ddim(Step step, NDArray x) {
    return ddim(step, x, step.options().number(SamplerOption.ETA, 0.0));
  }

  /** DDPM ancestral sampling (Ho et al. 2020): the posterior q(x_s | x_t, x0), i.e. DDIM with eta = 1. */
  public static NDArray ddpm(Step step, NDArray x) {
    return ddim(step, x, 1.0);
  }

  /**
   * DDIM's update is the Euler step to the ancestral split's down level, then its up noise. With
   * cfgPlusPlus it is CFG++'s (Chung et al. 2024, Algorithm 1; ComfyUI's euler_ancestral_cfg_pp):
   * alpha_s·x0 of the guided estimate + down·eps of the unconditional one.
   */
  static NDArray ddim(Step step, NDArray x, double eta) {
    Estimate e = cfgPlusPlus(step) ? step.denoiser().guided(x, step.t()).plusPlus()
        : step.denoiser().estimate(x, step.t());
    AncestralStep split = AncestralStep.of(step.process(), step.t(), step.tNext(), eta);
    return split.noised(step, split.euler(e));
  }

  /**
   * Euler, which with cfgPlusPlus takes k-diffusion's Euler step (DDIM's, the Euler step in
   * x/alpha and sigma/alpha) with CFG++'s pair, as ComfyUI's euler_cfg_pp; on a flow model
   * plain Euler is that same step.
   */
  public static FixedStepMethod euler(FixedStepMethod plain) {
    return (step, x) -> cfgPlusPlus(step) ? ddim(step, x, 0.0) : plain.step(step, x);
  }

  static boolean cfgPlusPlus(Step step) {
    return step.options().flag(SamplerOption.CFG_PLUS_PLUS);
  }

  /**
   * Euler–Maruyama on the reverse-time SDE (Song et al. 2021). With g² = 2·sigma²·|lambda'| the
   * step is x + dt·u - h·sigma·|lambda'|·eps + sigma·sqrt(2|lambda'|h)·z, u the probability-flow
   * field and h = |dt|. The last step adds no noise (the "x_mean" of the paper). Its update is
   * singular at pure noise, so it runs {@link FixedStepMethod#fromFiniteStart}.
   */
  public static NDArray eulerMaruyama(Step step, NDArray x) {
    NoiseProcess p = step.process();
    double t = step.t();
    Estimate e = step.denoiser().estimate(x, t);
    double dt = step.tNext() - t;
    double h = Math.abs(dt);
    double sigma = p.sigma(t);
    double rate = Math.abs(p.logSnrDot(t));
    NDArray out = x.add(e.x0().mul(p.alphaDot(t) * dt))
        .add(e.eps().mul(p.sigmaDot(t) * dt - h * sigma * rate));
    if (!step.last()) {
      out = out.add(step.noise(x).mul(sigma * Math.sqrt(2 * rate * h)));
    }
    return out;
  }

  /**
   * Predictor–corrector sampling (Song et al. 2021, Algorithm 2 with Algorithm 4): at each time a
   * Langevin corrector step x + ε·score + sqrt(2ε)·z, then an Euler–Maruyama predictor step. The
   * paper sets ε = 2(snr·‖z‖/‖score‖)² with norms averaged over the batch; here the ratio takes its
   * expected value sigma(t), ε = 2(snr·sigma)², so a sample's steps do not depend on its batch and
   * stay bounded in low dimension, where one sample's score can vanish. Like Euler–Maruyama it
   * runs {@link FixedStepMethod#fromFiniteStart}.
   */
  public static NDArray pcLangevin(Step step, NDArray x) {
    double sigma = step.process().sigma(step.t());
    double size = 2 * Math.pow(step.options().number(SamplerOption.SNR, 0.16) * sigma, 2);
    NDArray score = step.denoiser().estimate(x, step.t()).eps().mul(-1 / sigma);
    NDArray corrected = x.add(score.mul(size)).add(step.draw(x).mul(Math.sqrt(2 * size)));
    return eulerMaruyama(step, corrected);
  }

  /**
   * Karras et al. (2022), Algorithm 2, in their variables y = x/alpha and sigma = sigma/alpha: raise
   * the noise level by gamma (churn), take an Euler step, and correct it with Heun's rule unless
   * the step starts at pure noise (sigma = inf, where only the Euler limit exists) or ends at
   * sigma = 0. With churn = 0 (the default) it is the deterministic Heun sampler. The Euler step
   * y + (sigma' - sigma)·eps is written as alpha'·x0 + sigma'·eps, which stays finite at alpha = 0.
   */
  public static NDArray edmHeun(Step step, NDArray x) {
    NoiseProcess p = step.process();
    SamplerOptions o = step.options();
    double churn = o.number(SamplerOption.CHURN, 0.0);
    double churnMin = o.number(SamplerOption.CHURN_MIN, 0.0);
    double churnMax = o.number(SamplerOption.CHURN_MAX, Double.POSITIVE_INFINITY);
    double churnNoise = o.number(SamplerOption.CHURN_NOISE, 1.0);
    double t = step.t();
    double sigma = p.edmSigma(t);
    double sigmaNext = p.edmSigma(step.tNext());
    boolean pureNoise = Double.isInfinite(sigma);
    double gamma = churn > 0 && !pureNoise && sigma >= churnMin && sigma <= churnMax
        ? Math.min(churn / step.steps(), Math.sqrt(2) - 1) : 0;
    double sigmaHat = sigma * (1 + gamma);
    double tHat = t;
    NDArray xHat = x;
    if (gamma > 0) {
      tHat = p.timeAtLogSnr(-Math.log(sigmaHat));
      double lift = Math.sqrt(sigmaHat * sigmaHat - sigma * sigma) * churnNoise;
      xHat = x.div(p.alpha(t)).add(step.draw(x).mul(lift)).mul(p.alpha(tHat));
    }
    Estimate first = step.denoiser().estimate(xHat, tHat);
    double alphaNext = p.alpha(step.tNext());
    NDArray next = first.x0().mul(alphaNext).add(first.eps().mul(p.sigma(step.tNext())));
    if (!pureNoise && sigmaNext > 0) {
      NDArray slope = step.denoiser().estimate(next, step.tNext()).eps();
      next = next.add(slope.sub(first.eps()).mul(0.5 * alphaNext * (sigmaNext - sigmaHat)));
    }
    return next;
  }

  /**
   * DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2): with h = lambda_s - lambda_t,
   * x_s = (sigma_s/sigma_t)·x + alpha_s·(1 - e^-h)·D, where D extrapolates the last two x0
   * estimates, D = (1 + 1/2r)·x0_t - (1/2r)·x0_prev, r = h_prev/h (the midpoint form; solverType
   * heun weights the slope (x0_t - x0_prev)/r by 1 - (1 - e^-h)/h instead, as diffusers'
   * solver_type); first order on the first step and on a last step that ends at sigma = 0.
   */
  public static FixedStepMethod dpmpp2m() {
    return new DpmppMultistep(2, false);
  }

  /**
   * DPM-Solver++(2M) SDE (Lu et al. 2022; k-diffusion's sample_dpmpp_2m_sde): the same multistep
   * extrapolation with noise of strength eta injected by the exact SDE solution,
   * x_s = (sigma_s/sigma_t)e^{-eta·h}·x + alpha_s(1 - e^{-(1+eta)h})·(x0 + (x0 - x0_prev)/2r)
   * + sigma_s·sqrt(1 - e^{-2·eta·h})·z, with solverType midpoint (as written) or heun, whose
   * slope weight is 1 - (1 - e^{-(1+eta)h})/((1+eta)h).
   */
  public static FixedStepMethod dpmpp2mSde() {
    return new DpmppMultistep(2, true);
  }

  /**
   * DPM-Solver++(3M) SDE (k-diffusion's sample_dpmpp_3m_sde): the 2M SDE step with the heun
   * slope, and from the third step a second difference of the last three x0 estimates, weighted
   * by phi_2 = 1 - (1 - e^-g)/g and phi_3 = phi_2/g - 1/2 with g = (1+eta)h. History that
   * reaches back to pure noise (an infinite h) counts as none.
   */
  public static FixedStepMethod dpmpp3mSde() {
    return new DpmppMultistep(3, true);
  }

  /** One run of a DPM-Solver++ multistep method: its history is the last x0 estimates and h's. */
  private static final class DpmppMultistep implements FixedStepMethod {

    private final int order;
    private final boolean sde;
    private NDArray previous;
    private NDArray older;
    private double previousH = Double.NaN;
    private double olderH = Double.NaN;

    DpmppMultistep(int order, boolean sde) {
      this.order = order;
      this.sde = sde;
    }

    @Override
    public NDArray step(Step step, NDArray x) {
      SamplerOptions o = step.options();
      double eta = sde ? o.number(SamplerOption.ETA, 1.0) : 0.0;
      NoiseProcess p = step.process();
      double t = step.t();
      double tNext = step.tNext();
      boolean plusPlus = !sde && cfgPlusPlus(step);
      Denoiser.Guided g = plusPlus ? step.denoiser().guided(x, t) : null;
      NDArray x0 = plusPlus ? g.estimate().x0() : step.denoiser().estimate(x, t).x0();
      // CFG++ (ComfyUI's dpmpp_2m_cfg_pp) steps from the state of its pair, alpha·x0 + sigma·eps
      // of the unconditional estimate, and extrapolates from the unconditional x0 of the last step.
      NDArray from = plusPlus
          ? x0.mul(p.alpha(t)).add(g.unconditional().eps().mul(p.sigma(t))) : x;
      double sigmaNext = p.sigma(tNext);
      double h = p.logSnr(tNext) - p.logSnr(t);
      double etaH = eta == 0 ? 0 : eta * h;
      double decay = sigmaNext == 0 ? 0 : sigmaNext / p.sigma(t) * Math.exp(-etaH);
      double gain = p.alpha(tNext) * -Math.expm1(-h - etaH);
      NDArray next = from.mul(decay).add(x0.mul(gain));
      if (previous != null && sigmaNext > 0) {
        double r = previousH / h;
        boolean threeStep = order == 3 && older != null && Double.isFinite(previousH)
            && Double.isFinite(olderH);
        if (!threeStep && order == 2
            && o.choice(SamplerOption.SOLVER_TYPE, "midpoint").equals("midpoint")) {
          next = next.add(x0.sub(previous).mul(0.5 * gain / r));
        } else {
          double hEta = h + etaH;
          double phi2 = 1 + Math.expm1(-hEta) / hEta;
          double alphaNext = p.alpha(tNext);
          NDArray slope = x0.sub(previous).div(r);
          if (threeStep) {
            double r1 = olderH / h;
            NDArray bend = slope.sub(previous.sub(older).div(r1)).div(r + r1);
            slope = slope.add(bend.mul(r)).mul(alphaNext * phi2)
                .sub(bend.mul(alphaNext * (phi2 / hEta - 0.5)));
            next = next.add(slope);
          } else {
            next = next.add(slope.mul(alphaNext * phi2));
          }
        }
      }
      double scale = o.number(SamplerOption.NOISE_SCALE, 1.0);
      if (eta > 0 && sigmaNext > 0 && scale > 0) {
        next = next.add(step.noise(x).mul(sigmaNext * Math.sqrt(-Math.expm1(-2 * etaH)) * scale));
      }
      if (order == 3 && previous != null) {
        older = step.keep(previous);
        olderH = previousH;
      }
      previous = step.keep(plusPlus ? g.unconditional().x0() : x0);
      previousH = h;
      return next;
    }
  }

  /**
   * UniPC (Zhao et al. 2023) of order 2 with B(h) = e^h - 1 ("bh2", the default) or B(h) = h
   * ("bh1", solverType), in x0 form: the UniP-2 predictor extrapolates the last two x0 estimates
   * like DPM-Solver++(2M), and the UniC corrector then refines each new point with the estimate
   * made there, which the next predictor step needs anyway, so the order rises by one at no extra
   * evaluation. First order where the history reaches back to pure noise (lambda = -inf) and on a
   * last step to sigma = 0; bh1's B is infinite on a step from pure noise, so its corrector skips
   * the point that step reached.
   */
  public static FixedStepMethod unipc() {
    return new UniPc();
  }

  /** One run of UniPC: its history is the last step's state and the last two x0 estimates. */
  private static final class UniPc implements FixedStepMethod {

    private double[] lambda;
    private NDArray previousX;
    private NDArray previousX0;
    private NDArray olderX0;
    private int previousOrder;

    @Override
    public NDArray step(Step step, NDArray x) {
      NoiseProcess p = step.process();
      double[] t = step.grid();
      int i = step.index();
      if (lambda == null) {
        lambda = new double[t.length];
        for (int j = 0; j < t.length; j++) {
          lambda[j] = p.logSnr(t[j]);
        }
      }
      boolean bh1 = step.options().choice(SamplerOption.SOLVER_TYPE, "bh2").equals("bh1");
      NDArray x0 = step.denoiser().estimate(x, t[i]).x0();
      if (i > 0 && Double.isFinite(b(bh1, lambda[i] - lambda[i - 1]))) {
        x = uniCorrector(p, t, lambda, i, previousX, previousX0, x0, olderX0, previousOrder, bh1);
      }
      boolean history = i > 0 && Double.isFinite(lambda[i - 1]);
      int order = history && p.sigma(t[i + 1]) > 0 ? 2 : 1;
      NDArray next = uniPredictor(p, t, lambda, i, x, x0, previousX0, order, bh1);
      olderX0 = previousX0 == null ? null : step.keep(previousX0);
      previousX0 = step.keep(x0);
      previousX = step.keep(x);
      previousOrder = order;
      return next;
    }
  }

  /** UniPC's B(h) of a step h in log-SNR, in the x0 form's variable -h. */
  private static double b(boolean bh1, double h) {
    return bh1 ? -h : Math.expm1(-h);
  }

  /** UniP from t[i] to t[i+1]: the DDIM step plus, at order 2, half the x0 slope correction. */
  private static NDArray uniPredictor(NoiseProcess p, double[] t, double[] lambda, int i,
      NDArray x, NDArray x0, NDArray previousX0, int order, boolean bh1) {
    double h = lambda[i + 1] - lambda[i];
    double alphaNext = p.alpha(t[i + 1]);
    double sigmaNext = p.sigma(t[i + 1]);
    double phi = Math.expm1(-h);
    NDArray next = x.mul(sigmaNext == 0 ? 0 : sigmaNext / p.sigma(t[i])).sub(x0.mul(alphaNext * phi));
    if (order == 2) {
      double r = (lambda[i - 1] - lambda[i]) / h;
      NDArray slope = previousX0.sub(x0).div(r);
      next = next.sub(slope.mul(alphaNext * b(bh1, h) * 0.5));
    }
    return next;
  }

  /**
   * UniC at t[i] for the step that came from t[i-1]: the same update rebuilt with the estimate
   * at t[i] included, with weights rho solving the order conditions R·rho = b of the paper.
   */
  private static NDArray uniCorrector(NoiseProcess p, double[] t, double[] lambda, int i,
      NDArray previousX, NDArray previousX0, NDArray x0, NDArray olderX0, int order,
      boolean bh1) {
    double h = lambda[i] - lambda[i - 1];
    double alpha = p.alpha(t[i]);
    double phi = Math.expm1(-h);
    double bh = b(bh1, h);
    NDArray base = previousX.mul(p.sigma(t[i]) / p.sigma(t[i - 1]))
        .sub(previousX0.mul(alpha * phi));
    NDArray change = x0.sub(previousX0);
    if (order == 1) {
      return base.sub(change.mul(alpha * bh * 0.5));
    }
    double hh = -h;
    double b1 = phi / hh - 1;
    double b2 = (b1 / hh - 0.5) * 2;
    b1 /= bh;
    b2 /= bh;
    double r = (lambda[i - 2] - lambda[i - 1]) / h;
    double rho0 = (b1 - b2) / (1 - r);
    double rho1 = b1 - rho0;
    NDArray slope = olderX0.sub(previousX0).div(r);
    return base.sub(slope.mul(rho0).add(change.mul(rho1)).mul(alpha * bh));
  }
}
