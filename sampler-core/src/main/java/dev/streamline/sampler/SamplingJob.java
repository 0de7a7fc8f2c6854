package dev.streamline.sampler;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * One sampling job.
 *
 * @param sampler a {@link SamplerCatalog} id or alias; the job holds the id, and the options an
 *     alias implies under its own
 * @param steps steps of a fixed-step sampler (adaptive solvers choose their own)
 * @param n number of samples
 * @param seed sample i draws all its noise from seed + i
 * @param guidance classifier-free guidance scale (1 = none); needs labels
 * @param labels one class per sample, or one for all, or null for an unconditional model
 * @param latents unit-variance starting noise, flat and row-major [n, ...shape], to use instead
 *     of the seeded draw, or null; it is scaled by sigma at the noise end like the seeded draw.
 *     A job that starts partway ({@link #span}) takes them as the state at its first step, as
 *     they are
 * @param options sampler knobs; null for defaults
 * @param recordTrajectory keep every step's state on the host
 * @param dataType arithmetic precision (FLOAT32 or FLOAT64)
 */
public record SamplingJob(
    String sampler,
    int steps,
    int n,
    long seed,
    double guidance,
    int[] labels,
    float[] latents,
    SamplerOptions options,
    boolean recordTrajectory,
    DataType dataType) {

  public SamplingJob {
    if (steps < 1) {
      throw new InvalidJobException("steps must be >= 1, got " + steps);
    }
    if (n < 1) {
      throw new InvalidJobException("n must be >= 1, got " + n);
    }
    if (!Double.isFinite(guidance)) {
      throw new InvalidJobException("guidance must be a finite number, got " + guidance);
    }
    if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT64) {
      throw new InvalidJobException("dataType must be FLOAT32 or FLOAT64, got " + dataType);
    }
    options = SamplerCatalog.named(sampler, options == null ? SamplerOptions.DEFAULT : options);
    sampler = SamplerCatalog.spec(sampler).id();
    SamplerCatalog.spec(sampler).checkChoices(options);
  }

  /** A float32 job with no guidance, labels, latents or trajectory. */
  public static SamplingJob of(String sampler, int steps, int n, long seed) {
    return new SamplingJob(sampler, steps, n, seed, 1.0, null, null, null, false,
        DataType.FLOAT32);
  }

  public SamplingJob withOptions(SamplerOptions value) {
    return new SamplingJob(sampler, steps, n, seed, guidance, labels, latents, value,
        recordTrajectory, dataType);
  }

  public SamplingJob withLatents(float[] value) {
    return new SamplingJob(sampler, steps, n, seed, guidance, labels, value, options,
        recordTrajectory, dataType);
  }

  public SamplingJob withLabels(int[] value, double scale) {
    return new SamplingJob(sampler, steps, n, seed, scale, value, latents, options,
        recordTrajectory, dataType);
  }

  public SamplingJob withDataType(DataType value) {
    return new SamplingJob(sampler, steps, n, seed, guidance, labels, latents, options,
        recordTrajectory, value);
  }

  public SamplingJob withTrajectory(boolean value) {
    return new SamplingJob(sampler, steps, n, seed, guidance, labels, latents, options,
        value, dataType);
  }

  /**
   * The steps of its schedule that a fixed-step job runs: steps [first, end) of a schedule of
   * {@code total} steps. All of {@link #steps} unless the options ask for partial sampling:
   * startStep / endStep of the steps-step schedule, or ComfyUI's denoise, the last steps of a
   * schedule of int(steps/denoise) (KSampler.set_steps).
   */
  public record Span(int total, int first, int end) {
    /** Whether it starts partway, from given latents as the state there. */
    public boolean partway() {
      return first > 0;
    }

    /** Whether it stops before the data end, returning the state there. */
    public boolean stopsEarly() {
      return end < total;
    }
  }

  /** The most steps a denoise schedule may hold: int(steps/denoise) is laid out whole. */
  static final int MAX_SCHEDULE = 1_000_000;

  /** @throws InvalidJobException for partial-sampling options that do not fit together */
  public Span span() {
    SamplerOptions o = options;
    if (o.given().contains(SamplerOption.DENOISE)) {
      if (o.given().contains(SamplerOption.START_STEP)
          || o.given().contains(SamplerOption.END_STEP)) {
        throw new InvalidJobException("denoise chooses the steps itself (the last steps of a"
            + " longer schedule); give it or startStep/endStep, not both");
      }
      double denoise = o.number(SamplerOption.DENOISE, 1);
      double total = steps / denoise;
      if (total > MAX_SCHEDULE) {
        throw new InvalidJobException("denoise " + denoise + " asks for a schedule of "
            + (long) total + " steps; at most " + MAX_SCHEDULE);
      }
      return new Span((int) total, (int) total - steps, (int) total);
    }
    int first = o.integer(SamplerOption.START_STEP, 0);
    int end = o.integer(SamplerOption.END_STEP, steps);
    if (end > steps) {
      throw new InvalidJobException("endStep " + end + " is past the schedule's " + steps
          + " steps");
    }
    if (first >= end) {
      throw new InvalidJobException("startStep " + first + " must be below endStep " + end);
    }
    return new Span(steps, first, end);
  }

  /**
   * This job checked against the model it is for, with its labels one per sample and the
   * model's default options under its own: the one check of latents, labels, guidance and time
   * grid, which {@link SamplingLoop#sample} makes and a service makes
   * once at admission (then running the job with {@link SamplingLoop#sampleChecked}).
   *
   * @throws InvalidJobException with a message for the job's author
   */
  public SamplingJob forModel(Model model) {
    SamplerSpec spec = SamplerCatalog.spec(sampler);
    SamplerOptions merged = options.over(model.defaultOptions(), spec);
    if (merged != options) {
      return withOptions(merged).forModel(model);
    }
    if (SamplerCatalog.method(sampler) instanceof FixedStepMethod fixed) {
      // Laid out once here so that a grid the model's process cannot hold (a table spacing on a
      // continuous process, a shift on a table, a restart interval off it) is refused before
      // the run starts.
      fixed.grid(model.process(), options, options.grid().times(model.process(), span().total()));
    }
    Shape shape = new Shape(n).addAll(model.sampleShape());
    if (latents != null && latents.length != shape.size()) {
      throw new InvalidJobException("latents hold " + latents.length + " values, expected "
          + shape.size() + " for shape " + shape);
    }
    checkSpan(spec);
    checkGuidance();
    if (labels == null) {
      if (guidance != 1.0) {
        throw new InvalidJobException("guidance needs labels: it contrasts the labelled"
            + " prediction with the unconditional one");
      }
      return this;
    }
    if (model.classCount() == 0) {
      throw new InvalidJobException("the model is unconditional; it takes no labels");
    }
    if (labels.length != 1 && labels.length != n) {
      throw new InvalidJobException("labels must hold 1 or n=" + n
          + " entries, got " + labels.length);
    }
    for (int label : labels) {
      if (label != Model.NULL_LABEL && (label < 0 || label >= model.classCount())) {
        throw new InvalidJobException("label " + label + " is outside [0, "
            + model.classCount() + ")");
      }
    }
    int[] perSample = new int[n];
    Arrays.setAll(perSample, i -> labels[labels.length == n ? i : 0]);
    return withLabels(perSample, guidance);
  }

  private void checkSpan(SamplerSpec spec) {
    Span span = span();
    if (spec.adaptive() && !span.equals(new Span(steps, 0, steps))) {
      throw new InvalidJobException("partial sampling runs part of a fixed schedule; sampler '"
          + sampler + "' chooses its own steps");
    }
    if (span.partway() && latents == null) {
      throw new InvalidJobException("a run from step " + span.first() + " of " + span.total()
          + " starts from latents as the state at that step; give them (to start from data,"
          + " noise it to that step's level first, alpha·x0 + sigma·z)");
    }
  }

  /** The guidance options need guidance to act on, and APG and rescale exclude each other. */
  private void checkGuidance() {
    List<SamplerOption> needScale = List.of(SamplerOption.GUIDANCE_RESCALE,
        SamplerOption.GUIDANCE_START, SamplerOption.GUIDANCE_END, SamplerOption.APG_ETA,
        SamplerOption.APG_MOMENTUM, SamplerOption.APG_NORM_THRESHOLD);
    List<String> idle = options.given().stream().filter(needScale::contains)
        .map(SamplerOption::id).toList();
    if (!idle.isEmpty() && (labels == null || guidance == 1.0)) {
      throw new InvalidJobException(idle + " shape classifier-free guidance; give labels and a"
          + " guidance scale other than 1");
    }
    if (options.flag(SamplerOption.CFG_PLUS_PLUS) && labels == null) {
      throw new InvalidJobException("cfgPlusPlus contrasts the labelled prediction with the"
          + " unconditional one; give labels");
    }
    if (options.number(SamplerOption.GUIDANCE_START, 0)
        >= options.number(SamplerOption.GUIDANCE_END, 1)) {
      throw new InvalidJobException("guidanceStart must be below guidanceEnd");
    }
    if (Guidance.usesApg(options) && options.given().contains(SamplerOption.GUIDANCE_RESCALE)) {
      throw new InvalidJobException("APG and guidanceRescale both reshape the guidance; choose"
          + " one");
    }
  }

  /** Refuses the options a run backwards or a likelihood cannot take, naming them. */
  private void refuse(List<SamplerOption> unfit, String why) {
    List<String> given = options.given().stream().filter(unfit::contains)
        .map(SamplerOption::id).toList();
    if (!given.isEmpty()) {
      throw new InvalidJobException(given + " " + why);
    }
  }

  /** Options that only sampling forwards, over its own schedule, means. */
  private static final List<SamplerOption> FORWARD_ONLY = List.of(SamplerOption.START_STEP,
      SamplerOption.END_STEP, SamplerOption.DENOISE, SamplerOption.CFG_PLUS_PLUS,
      SamplerOption.APG_ETA, SamplerOption.APG_MOMENTUM, SamplerOption.APG_NORM_THRESHOLD);

  /**
   * This job, checked as one to run backwards ({@link SamplingLoop#encode}): a deterministic
   * sampler that can be reversed, with no option that adds noise.
   *
   * @throws InvalidJobException with a message for the job's author
   */
  public SamplingJob forEncoding() {
    SamplerSpec spec = SamplerCatalog.spec(sampler);
    List<String> reversible = SamplerCatalog.encodingSamplers();
    if (spec.drawsNoise(options) || !reversible.contains(sampler)) {
      throw new InvalidJobException("sampler '" + sampler + "' "
          + (spec.drawsNoise(options) ? "draws noise" : "has no inverse here")
          + ", so no latent maps back to a sample through it; encode runs the deterministic"
          + " samplers " + reversible + " (ddim with eta 0)");
    }
    refuse(FORWARD_ONLY, "belong to sampling (partial runs, CFG++'s renoising, APG's momentum"
        + " along the sampling order); encode runs the whole ODE backwards without them");
    return this;
  }

  /**
   * This job, checked as one to integrate a likelihood ({@link SamplingLoop#likelihood}): a
   * Runge–Kutta sampler, and no x0 guard, which would change the ODE whose density it is.
   *
   * @throws InvalidJobException with a message for the job's author
   */
  public SamplingJob forLikelihood() {
    List<String> solvers = SamplerCatalog.likelihoodSamplers();
    if (!solvers.contains(sampler)) {
      SamplerSpec spec = SamplerCatalog.spec(sampler);
      throw new InvalidJobException("sampler '" + sampler + "' "
          + (spec.stochastic() ? "samples the reverse SDE, which has no density by the change of"
              + " variables" : "steps in (x0, eps), not along a general ODE")
          + "; likelihood integrates the probability-flow ODE with one of " + solvers);
    }
    if (options.x0Guard().kind() != X0Guard.Kind.NONE) {
      throw new InvalidJobException("clip and threshold change the ODE whose density a"
          + " likelihood is; leave them out");
    }
    refuse(FORWARD_ONLY, "belong to sampling; a likelihood integrates the whole ODE without"
        + " them");
    refuse(List.of(SamplerOption.GUIDANCE_RESCALE), "is not linear in the predictions, so the"
        + " divergence of its field is not the guided divergence; leave it out");
    return this;
  }
}
