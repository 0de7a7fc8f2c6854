package dev.streamline.sampler;

/**
 * A Gaussian noising path x_t = alpha(t)·x_data + sigma(t)·eps, in the time variable its models were
 * trained with. Every sampler is written against this interface, so any model runs under any
 * sampler: the process supplies the coefficients, their time derivatives and the log-SNR map.
 *
 * <p>Time runs from {@link #noiseTime()} (where sampling starts) to {@link #dataTime()} (where it
 * ends). For the linear interpolant that is 0 → 1; for the diffusion processes it is the other way.
 */
public sealed interface NoiseProcess {

  /** Log-SNR magnitude beyond which grids that need a finite log-SNR are clamped. */
  double LOG_SNR_LIMIT = 10.0;

  String id();

  double alpha(double t);

  double sigma(double t);

  double alphaDot(double t);

  double sigmaDot(double t);

  double noiseTime();

  double dataTime();

  /** The time at which the log-SNR log(alpha/sigma) equals {@code logSnr}. */
  double timeAtLogSnr(double logSnr);

  /** The grid kind a fixed-step sampler uses on this process unless the job names one. */
  default TimeGrid.Kind defaultGrid() {
    return TimeGrid.Kind.UNIFORM;
  }

  default double logSnr(double t) {
    return Math.log(alpha(t)) - Math.log(sigma(t));
  }

  /** d/dt of the log-SNR; infinite where alpha or sigma vanishes. */
  default double logSnrDot(double t) {
    return alphaDot(t) / alpha(t) - sigmaDot(t) / sigma(t);
  }

  /** sigma/alpha: the noise level of x/alpha, the variable of Karras et al. and k-diffusion. */
  default double edmSigma(double t) {
    return sigma(t) / alpha(t);
  }

  /** Where {@code t} lies between data (0) and noise (1); the variable that the flow shift acts on. */
  default double noiseFraction(double t) {
    return (t - dataTime()) / (noiseTime() - dataTime());
  }

  default double timeAtNoiseFraction(double u) {
    return dataTime() + u * (noiseTime() - dataTime());
  }

  /**
   * The sigma that schedules are written in by diffusers' schedulers and ComfyUI's samplers:
   * sigma/alpha ({@link #edmSigma}), except for the flow, whose schedulers speak its own sigma.
   */
  default double scheduleSigma(double t) {
    return edmSigma(t);
  }

  default double timeAtScheduleSigma(double sigma) {
    return timeAtLogSnr(-Math.log(sigma));
  }

  /** The linear interpolant of flow matching and rectified flow: x_t = (1-t)·eps + t·x_data. */
  record LinearInterpolant() implements NoiseProcess {
    @Override public String id() { return "linear"; }
    @Override public double alpha(double t) { return t; }
    @Override public double sigma(double t) { return 1 - t; }
    @Override public double alphaDot(double t) { return 1; }
    @Override public double sigmaDot(double t) { return -1; }
    @Override public double noiseTime() { return 0; }
    @Override public double dataTime() { return 1; }
    @Override public double timeAtLogSnr(double logSnr) { return 1 / (1 + Math.exp(-logSnr)); }
    @Override public double scheduleSigma(double t) { return 1 - t; }
    @Override public double timeAtScheduleSigma(double sigma) { return 1 - sigma; }
  }

  /**
   * Variance-preserving SDE with a linear beta(t) = betaMin + t·(betaMax - betaMin) on t in [0,1]
   * (Song et al. 2021). Sampling stops at {@code tEps}, where the probability-flow ODE is still
   * regular; the last step then jumps to the clean estimate.
   */
  record VpLinear(double betaMin, double betaMax, double tEps) implements NoiseProcess {
    public VpLinear {
      if (!(betaMin > 0 && betaMax > betaMin && tEps > 0 && tEps < 1)) {
        throw new IllegalArgumentException("VP linear needs 0 < betaMin < betaMax and 0 < tEps < 1");
      }
    }

    public VpLinear() {
      this(0.1, 20.0, 1e-3);
    }

    private double integral(double t) {
      return betaMin * t + 0.5 * (betaMax - betaMin) * t * t;
    }

    private double beta(double t) {
      return betaMin + t * (betaMax - betaMin);
    }

    @Override public String id() { return "vp-linear"; }
    @Override public double alpha(double t) { return Math.exp(-0.5 * integral(t)); }
    @Override public double sigma(double t) { return Math.sqrt(-Math.expm1(-integral(t))); }
    @Override public double alphaDot(double t) { return -0.5 * beta(t) * alpha(t); }

    @Override
    public double sigmaDot(double t) {
      double a = alpha(t);
      return 0.5 * beta(t) * a * a / sigma(t);
    }

    @Override public double noiseTime() { return 1; }
    @Override public double dataTime() { return tEps; }

    @Override
    public double logSnr(double t) {
      return -0.5 * Math.log(Math.expm1(integral(t)));
    }

    @Override
    public double timeAtLogSnr(double logSnr) {
      // integral(t) = log(1 + e^{-2λ}); solve the quadratic for t.
      double target = Math.log1p(Math.exp(-2 * logSnr));
      double a = 0.5 * (betaMax - betaMin);
      return 2 * target / (betaMin + Math.sqrt(betaMin * betaMin + 4 * a * target));
    }
  }

  /**
   * Variance-preserving process with the cosine schedule of Nichol &amp; Dhariwal:
   * alpha² = f(t)/f(0), f(t) = cos²(π/2·(t+s)/(1+s)). Alpha reaches 0 at t = 1, so sampling
   * starts at {@code tMax} where an epsilon model still has a usable x0 estimate.
   */
  record VpCosine(double s, double tMax, double tEps) implements NoiseProcess {
    public VpCosine {
      if (!(s >= 0 && tMax > tEps && tMax <= 1 && tEps > 0)) {
        throw new IllegalArgumentException("VP cosine needs s >= 0 and 0 < tEps < tMax <= 1");
      }
    }

    public VpCosine() {
      this(0.008, 0.9946, 1e-3);
    }

    private double phase(double t) {
      return 0.5 * Math.PI * (t + s) / (1 + s);
    }

    private double norm() {
      return Math.cos(phase(0));
    }

    @Override public String id() { return "vp-cosine"; }
    @Override public double alpha(double t) { return Math.cos(phase(t)) / norm(); }

    @Override
    public double sigma(double t) {
      double a = alpha(t);
      return Math.sqrt(Math.max(0, 1 - a * a));
    }

    @Override
    public double alphaDot(double t) {
      return -Math.sin(phase(t)) * 0.5 * Math.PI / (1 + s) / norm();
    }

    @Override
    public double sigmaDot(double t) {
      return -alpha(t) * alphaDot(t) / sigma(t);
    }

    @Override public double noiseTime() { return tMax; }
    @Override public double dataTime() { return tEps; }

    @Override
    public double timeAtLogSnr(double logSnr) {
      double alphaSq = 1 / (1 + Math.exp(-2 * logSnr));
      return Math.acos(Math.sqrt(alphaSq) * norm()) * 2 * (1 + s) / Math.PI - s;
    }
  }

  /** Variance-exploding process with geometric sigma(t) = sigmaMin·(sigmaMax/sigmaMin)^t (Song et al.). */
  record VeGeometric(double sigmaMin, double sigmaMax) implements NoiseProcess {
    public VeGeometric {
      if (!(sigmaMin > 0 && sigmaMax > sigmaMin)) {
        throw new IllegalArgumentException("VE needs 0 < sigmaMin < sigmaMax");
      }
    }

    public VeGeometric() {
      this(0.01, 50.0);
    }

    @Override public String id() { return "ve"; }
    @Override public double alpha(double t) { return 1; }
    @Override public double sigma(double t) { return sigmaMin * Math.pow(sigmaMax / sigmaMin, t); }
    @Override public double alphaDot(double t) { return 0; }
    @Override public double sigmaDot(double t) { return sigma(t) * Math.log(sigmaMax / sigmaMin); }
    @Override public double noiseTime() { return 1; }
    @Override public double dataTime() { return 0; }
    @Override public TimeGrid.Kind defaultGrid() { return TimeGrid.Kind.LOG_SNR; }

    @Override
    public double timeAtLogSnr(double logSnr) {
      return Math.log(Math.exp(-logSnr) / sigmaMin) / Math.log(sigmaMax / sigmaMin);
    }
  }

  /** The process of Karras et al. (2022): alpha = 1 and time is sigma itself. */
  record Edm(double sigmaMin, double sigmaMax) implements NoiseProcess {
    public Edm {
      if (!(sigmaMin > 0 && sigmaMax > sigmaMin)) {
        throw new IllegalArgumentException("EDM needs 0 < sigmaMin < sigmaMax");
      }
    }

    public Edm() {
      this(0.002, 80.0);
    }

    @Override public String id() { return "edm"; }
    @Override public double alpha(double t) { return 1; }
    @Override public double sigma(double t) { return t; }
    @Override public double alphaDot(double t) { return 0; }
    @Override public double sigmaDot(double t) { return 1; }
    @Override public double noiseTime() { return sigmaMax; }
    @Override public double dataTime() { return sigmaMin; }
    @Override public double timeAtLogSnr(double logSnr) { return Math.exp(-logSnr); }
    @Override public TimeGrid.Kind defaultGrid() { return TimeGrid.Kind.KARRAS; }
  }
  /**
   * A variance-preserving process given as the table of alphas_cumprod over the N training
   * timesteps of a diffusers scheduler. Time is the timestep itself, a float in [0, N-1], which is
   * what such networks take as their time input. Between entries the schedule is interpolated
   * linearly in log sigma, sigma = sqrt((1 - ᾱ)/ᾱ), as k-diffusion's discrete-schedule wrapper
   * does, so continuous-time samplers can step between entries while grids on whole timesteps
   * (the table's own spacings) read the table exactly. Sampling ends at timestep 0, which still
   * carries noise, with the jump to the clean estimate.
   */
  final class DiscreteVp implements NoiseProcess {

    private final double[] logSigmas;
    private final TimeGrid.Kind spacing;
    private final int stepsOffset;

    /**
     * @param alphasCumprod ᾱ_0 &gt; ᾱ_1 &gt; ... &gt; ᾱ_{N-1}, all in (0, 1)
     * @param spacing the grid a fixed-step sampler uses unless the job names one: diffusers'
     *     timestep_spacing ({@code leading}, {@code trailing} or {@code linspace}) or another grid
     *     on the table's timesteps
     * @param stepsOffset diffusers' steps_offset, added to the timesteps of a leading grid
     */
    public DiscreteVp(double[] alphasCumprod, TimeGrid.Kind spacing, int stepsOffset) {
      if (alphasCumprod.length < 2) {
        throw new IllegalArgumentException("a discrete schedule needs at least 2 timesteps");
      }
      if (!spacing.onTable()) {
        throw new IllegalArgumentException("a discrete schedule's spacing lies on its timesteps"
            + " (leading, trailing, linspace, simple or ddim-uniform), got " + spacing.id());
      }
      if (stepsOffset < 0) {
        throw new IllegalArgumentException("steps_offset must be >= 0, got " + stepsOffset);
      }
      logSigmas = new double[alphasCumprod.length];
      for (int i = 0; i < alphasCumprod.length; i++) {
        double a = alphasCumprod[i];
        if (!(a > 0 && a < 1) || (i > 0 && !(a < alphasCumprod[i - 1]))) {
          throw new IllegalArgumentException("alphas_cumprod must decrease strictly inside (0, 1);"
              + " entry " + i + " is " + a);
        }
        logSigmas[i] = 0.5 * (Math.log1p(-a) - Math.log(a));
      }
      this.spacing = spacing;
      this.stepsOffset = stepsOffset;
    }

    /** The number of training timesteps N. */
    public int timesteps() {
      return logSigmas.length;
    }

    public int stepsOffset() {
      return stepsOffset;
    }

    /** The lower entry of the table segment that holds t; the top entry belongs to the last. */
    private int segment(double t) {
      return (int) Math.min(Math.max(Math.floor(t), 0), logSigmas.length - 2);
    }

    private double logSigma(double t) {
      int lo = segment(t);
      double w = Math.min(Math.max(t, 0), logSigmas.length - 1) - lo;
      return (1 - w) * logSigmas[lo] + w * logSigmas[lo + 1];
    }

    private double logSigmaDot(double t) {
      int lo = segment(t);
      return logSigmas[lo + 1] - logSigmas[lo];
    }

    @Override public String id() { return "vp-discrete"; }
    @Override public double alpha(double t) { return 1 / Math.sqrt(1 + Math.exp(2 * logSigma(t))); }
    @Override public double sigma(double t) { return alpha(t) * Math.exp(logSigma(t)); }

    @Override
    public double alphaDot(double t) {
      double s = sigma(t);
      return -alpha(t) * s * s * logSigmaDot(t);
    }

    @Override
    public double sigmaDot(double t) {
      double a = alpha(t);
      return a * a * sigma(t) * logSigmaDot(t);
    }

    @Override public double noiseTime() { return logSigmas.length - 1; }
    @Override public double dataTime() { return 0; }
    @Override public TimeGrid.Kind defaultGrid() { return spacing; }
    @Override public double logSnr(double t) { return -logSigma(t); }

    @Override
    public double timeAtLogSnr(double logSnr) {
      double target = Math.min(Math.max(-logSnr, logSigmas[0]), logSigmas[logSigmas.length - 1]);
      int at = java.util.Arrays.binarySearch(logSigmas, target);
      if (at >= 0) {
        return at;
      }
      int lo = Math.min(-at - 2, logSigmas.length - 2);
      return lo + (target - logSigmas[lo]) / (logSigmas[lo + 1] - logSigmas[lo]);
    }
  }
}
