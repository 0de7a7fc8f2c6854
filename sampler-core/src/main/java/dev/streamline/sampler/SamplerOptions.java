package dev.streamline.sampler;

/**
 * Per-request knobs. A null field means "the sampler's default"; each sampler documents the
 * options it reads in its {@link SamplerSpec}.
 *
 * @param eta stochasticity of ddim (0 = deterministic, 1 = ddpm) and dpmpp-2m-sde
 * @param churn edm-heun's S_churn (total churn over the run)
 * @param churnMin edm-heun's S_tmin: churn only where sigma >= churnMin
 * @param churnMax edm-heun's S_tmax: churn only where sigma <= churnMax
 * @param churnNoise edm-heun's S_noise
 * @param snr pc-langevin's signal-to-noise ratio for the corrector step size
 * @param rtol relative tolerance of adaptive solvers
 * @param atol absolute tolerance of adaptive solvers
 * @param minStep smallest step an adaptive solver may take before it gives up
 * @param maxStep largest step an adaptive solver may take
 * @param maxNfe network-evaluation budget of an adaptive solver
 * @param batchErrorControl adaptive solvers: one error norm and step size for the whole batch
 *     (torchdiffeq's behaviour) instead of one per sample
 * @param timeGrid step placement of fixed-step samplers
 * @param guard clip or dynamic thresholding of x0 predictions
 */
public record SamplerOptions(
    Double eta,
    Double churn,
    Double churnMin,
    Double churnMax,
    Double churnNoise,
    Double snr,
    Double rtol,
    Double atol,
    Double minStep,
    Double maxStep,
    Integer maxNfe,
    Boolean batchErrorControl,
    TimeGrid timeGrid,
    X0Guard guard) {

  public static final SamplerOptions DEFAULT = builder().build();

  public SamplerOptions {
    positive("rtol", rtol);
    positive("atol", atol);
    positive("minStep", minStep);
    positive("maxStep", maxStep);
    positive("snr", snr);
    nonNegative("eta", eta);
    nonNegative("churn", churn);
    nonNegative("churnMin", churnMin);
    nonNegative("churnMax", churnMax);
    nonNegative("churnNoise", churnNoise);
    if (maxNfe != null && maxNfe < 1) {
      throw new IllegalArgumentException("maxNfe must be >= 1, got " + maxNfe);
    }
  }

  private static void positive(String name, Double value) {
    if (value != null && !(value > 0 && Double.isFinite(value))) {
      throw new IllegalArgumentException(name + " must be a finite number > 0, got " + value);
    }
  }

  private static void nonNegative(String name, Double value) {
    if (value != null && !(value >= 0)) {
      throw new IllegalArgumentException(name + " must be >= 0, got " + value);
    }
  }

  public double eta(double fallback) { return eta == null ? fallback : eta; }
  public double churn(double fallback) { return churn == null ? fallback : churn; }
  public double churnMin(double fallback) { return churnMin == null ? fallback : churnMin; }
  public double churnMax(double fallback) { return churnMax == null ? fallback : churnMax; }
  public double churnNoise(double fallback) { return churnNoise == null ? fallback : churnNoise; }
  public double snr(double fallback) { return snr == null ? fallback : snr; }
  public double rtol(double fallback) { return rtol == null ? fallback : rtol; }
  public double atol(double fallback) { return atol == null ? fallback : atol; }
  public double minStep(double fallback) { return minStep == null ? fallback : minStep; }
  public double maxStep(double fallback) { return maxStep == null ? fallback : maxStep; }
  public int maxNfe(int fallback) { return maxNfe == null ? fallback : maxNfe; }
  public boolean perBatchErrors() { return Boolean.TRUE.equals(batchErrorControl); }
  public TimeGrid grid() { return timeGrid == null ? TimeGrid.DEFAULT : timeGrid; }
  public X0Guard x0Guard() { return guard == null ? X0Guard.NONE : guard; }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds options field by field; unset fields keep the samplers' defaults. */
  public static final class Builder {
    private Double eta, churn, churnMin, churnMax, churnNoise, snr, rtol, atol, minStep, maxStep;
    private Integer maxNfe;
    private Boolean batchErrorControl;
    private TimeGrid timeGrid;
    private X0Guard guard;

    public Builder eta(Double v) { eta = v; return this; }
    public Builder churn(Double v) { churn = v; return this; }
    public Builder churnMin(Double v) { churnMin = v; return this; }
    public Builder churnMax(Double v) { churnMax = v; return this; }
    public Builder churnNoise(Double v) { churnNoise = v; return this; }
    public Builder snr(Double v) { snr = v; return this; }
    public Builder rtol(Double v) { rtol = v; return this; }
    public Builder atol(Double v) { atol = v; return this; }
    public Builder minStep(Double v) { minStep = v; return this; }
    public Builder maxStep(Double v) { maxStep = v; return this; }
    public Builder maxNfe(Integer v) { maxNfe = v; return this; }
    public Builder batchErrorControl(Boolean v) { batchErrorControl = v; return this; }
    public Builder timeGrid(TimeGrid v) { timeGrid = v; return this; }
    public Builder guard(X0Guard v) { guard = v; return this; }

    public SamplerOptions build() {
      return new SamplerOptions(eta, churn, churnMin, churnMax, churnNoise, snr, rtol, atol,
          minStep, maxStep, maxNfe, batchErrorControl, timeGrid, guard);
    }
  }
}
