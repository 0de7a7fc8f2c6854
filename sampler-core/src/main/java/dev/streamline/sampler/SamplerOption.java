package dev.streamline.sampler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every sampler knob, declared once: its name on the wire, its type and range, which samplers
 * read it, and what it does. Validation ({@link SamplerOptions}), each {@link SamplerSpec}'s
 * option list, the service's {@code /v1/samplers} catalog and OpenAPI schema, and the README's
 * options table all come from here.
 */
public enum SamplerOption {
  ETA("eta", Type.NUMBER, Range.NON_NEGATIVE, Readers.listed("ddim", "dpmpp-2m-sde",
      "euler-ancestral", "dpm2-ancestral", "dpmpp-2s-ancestral", "dpmpp-sde", "dpmpp-3m-sde",
      "sa-solver"), true, "noise: 0 deterministic, 1 the DDPM posterior (default 0 for ddim, 1 for the others)"),
  NOISE_SCALE("noiseScale", Type.NUMBER, Range.NON_NEGATIVE, Readers.listed("euler-ancestral",
      "dpm2-ancestral", "dpmpp-2s-ancestral", "dpmpp-sde", "dpmpp-2m-sde", "dpmpp-3m-sde"), false,
      "s_noise of k-diffusion: scale of the noise each step adds (default 1)"),
  NOISE("noise", Readers.listed("ddpm", "ddim", "euler-maruyama", "dpmpp-2m-sde",
      "euler-ancestral", "dpm2-ancestral", "dpmpp-2s-ancestral", "dpmpp-sde", "dpmpp-3m-sde"),
      List.of(Choice.every("gaussian"), Choice.every("brownian-tree")),
      "source of each step's noise: fresh draws, or the increments of one Brownian path per sample"
          + " (k-diffusion's BrownianTreeNoiseSampler), so answers converge as steps grow"
          + " (default gaussian)"),
  SOLVER_TYPE("solverType", Readers.listed("dpmpp-2m", "dpmpp-2m-sde", "unipc"),
      List.of(Choice.of("midpoint", "dpmpp-2m", "dpmpp-2m-sde"),
          Choice.of("heun", "dpmpp-2m", "dpmpp-2m-sde"), Choice.of("bh1", "unipc"),
          Choice.of("bh2", "unipc")),
      "the second-order term: DPM-Solver++'s midpoint or heun form (default midpoint); UniPC's"
          + " B(h) = h (bh1) or e^h - 1 (bh2, default)"),
  CHURN("churn", Type.NUMBER, Range.NON_NEGATIVE, Readers.listed("edm-heun"), true,
      "S_churn of Karras et al.: total noise added back over the run (default 0)"),
  CHURN_MIN("churnMin", Type.NUMBER, Range.NON_NEGATIVE, Readers.listed("edm-heun"), false,
      "S_tmin: churn only where sigma >= churnMin (default 0)"),
  CHURN_MAX("churnMax", Type.NUMBER, Range.NON_NEGATIVE, Readers.listed("edm-heun"), false,
      "S_tmax: churn only where sigma <= churnMax (default unbounded)"),
  CHURN_NOISE("churnNoise", Type.NUMBER, Range.NON_NEGATIVE, Readers.listed("edm-heun"), false,
      "S_noise: scale of the churn noise (default 1)"),
  SOLVER_ORDER("solverOrder", Type.INTEGER, Range.ONE_TO_THREE, Readers.listed("deis"), false,
      "order of the polynomial DEIS fits to its last estimates, 1 to 3 (default 3)"),
  SNR("snr", Type.NUMBER, Range.POSITIVE_FINITE, Readers.listed("pc-langevin"), false,
      "signal-to-noise ratio that sizes the Langevin corrector step (default 0.16)"),
  RESTART_MIN("restartMin", Type.NUMBER, Range.NON_NEGATIVE, Readers.listed("restart"), false,
      "t_min of Xu et al. as sigma/alpha: the grid's level nearest it is where each restart"
          + " begins (default 0.06)"),
  RESTART_MAX("restartMax", Type.NUMBER, Range.POSITIVE_FINITE, Readers.listed("restart"), false,
      "t_max as sigma/alpha: the level each restart noises the state back up to (default 0.3)"),
  RESTART_STEPS("restartSteps", Type.INTEGER, Range.ONE_TO_HUNDRED, Readers.listed("restart"),
      false, "Heun steps of each re-solve from restartMax down, on a Karras grid (default 2)"),
  RESTARTS("restarts", Type.INTEGER, Range.ZERO_TO_HUNDRED, Readers.listed("restart"), false,
      "K: how many times the interval is restarted; 0 is edm-heun (default 2)"),
  RTOL("rtol", Type.NUMBER, Range.POSITIVE_FINITE, Readers.ADAPTIVE, false,
      "relative tolerance (default 1e-5)"),
  ATOL("atol", Type.NUMBER, Range.POSITIVE_FINITE, Readers.ADAPTIVE, false,
      "absolute tolerance (default 1e-5)"),
  MIN_STEP("minStep", Type.NUMBER, Range.POSITIVE_FINITE, Readers.ADAPTIVE, false,
      "smallest step before the solver gives up (default the smallest normal double)"),
  MAX_STEP("maxStep", Type.NUMBER, Range.POSITIVE_FINITE, Readers.ADAPTIVE, false,
      "largest step (default the whole interval)"),
  MAX_NFE("maxNfe", Type.INTEGER, Range.AT_LEAST_ONE, Readers.ADAPTIVE, false,
      "network-evaluation budget (default 10000)"),
  BATCH_ERROR_CONTROL("batchErrorControl", Type.FLAG, Range.ANY, Readers.ADAPTIVE, false,
      "one error norm and step for the whole batch, as torchdiffeq, instead of one per sample"),
  TIME_GRID("timeGrid", Type.KIND, Range.ANY, Readers.FIXED_STEP, false,
      "step placement: uniform, karras, log-snr, exponential, polyexponential, kl-optimal,"
          + " normal, sgm-uniform, beta, beta-sigmas, linear-quadratic, ays, or on a discrete"
          + " schedule's timesteps leading, trailing, linspace, simple or ddim-uniform (default the"
          + " model's own)", TimeGrid.Kind.values()),
  RHO("rho", Type.NUMBER, Range.POSITIVE, Readers.FIXED_STEP, false,
      "exponent of the karras grid (default 7) and the polyexponential one (default 1)"),
  SHIFT("shift", Type.NUMBER, Range.POSITIVE, Readers.FIXED_STEP, false,
      "timestep shift s·u/(1+(s-1)·u) of SD3 (default 1, none)"),
  BETA_ALPHA("betaAlpha", Type.NUMBER, Range.POSITIVE_FINITE, Readers.FIXED_STEP, false,
      "alpha of the beta grids' Beta(alpha, beta) (default 0.6)"),
  BETA_BETA("betaBeta", Type.NUMBER, Range.POSITIVE_FINITE, Readers.FIXED_STEP, false,
      "beta of the beta grids' Beta(alpha, beta) (default 0.6)"),
  AYS_MODEL("aysModel", Type.KIND, Range.ANY, Readers.FIXED_STEP, false,
      "the model family whose Align Your Steps table the ays grid uses: sd1, sdxl or svd",
      AlignYourSteps.Family.values()),
  SIGMAS("sigmas", Type.NUMBERS, Range.ANY, Readers.FIXED_STEP, false,
      "the steps' noise levels, decreasing from the noise end, in the sigma of diffusers'"
          + " schedulers (sigma/alpha; the flow's own sigma), closed by a last 0 or the data end's"
          + " sigma or else implicitly; their count before the close is the number of steps"),
  TIMESTEPS("timesteps", Type.NUMBERS, Range.ANY, Readers.FIXED_STEP, false,
      "the steps' times in the model's time, from its noise end towards its data end, closed by"
          + " the data time or else implicitly; their count before the close is the number of"
          + " steps"),
  CLIP("clip", Type.NUMBER, Range.POSITIVE_FLOAT, Readers.EVERY, false,
      "clips x0 predictions to [-clip, clip]"),
  THRESHOLD("threshold", Type.NUMBER, Range.OPEN_UNIT, Readers.EVERY, false,
      "Imagen's dynamic thresholding of x0 at this percentile of abs(x0)"),
  GUIDANCE_RESCALE("guidanceRescale", Type.NUMBER, Range.UNIT, Readers.EVERY, false,
      "phi of Lin et al. 2023 (diffusers' guidance_rescale): the guided prediction rescaled to"
          + " the conditional one's standard deviation per sample, mixed in by phi (default 0)"),
  GUIDANCE_START("guidanceStart", Type.NUMBER, Range.UNIT, Readers.FIXED_STEP, false,
      "guidance from step floor(guidanceStart·N) of the N-step schedule on (default 0)"),
  GUIDANCE_END("guidanceEnd", Type.NUMBER, Range.UNIT, Readers.FIXED_STEP, false,
      "guidance before step floor(guidanceEnd·N) only (default 1); steps outside the interval"
          + " evaluate the conditional prediction alone"),
  APG_ETA("apgEta", Type.NUMBER, Range.FINITE, Readers.FIXED_STEP, false,
      "adaptive projected guidance (Sadat et al. 2024): weight of the guidance's component"
          + " parallel to the conditional x0 (default 0; 1 with no threshold or momentum is CFG)"),
  APG_MOMENTUM("apgMomentum", Type.NUMBER, Range.OPEN_SYMMETRIC_UNIT, Readers.FIXED_STEP, false,
      "APG's momentum beta: the guidance is its running sum Δ + beta·previous (default 0)"),
  APG_NORM_THRESHOLD("apgNormThreshold", Type.NUMBER, Range.NON_NEGATIVE, Readers.FIXED_STEP,
      false, "APG's r: the guidance's norm per sample is capped at r (default 0, no cap)"),
  CFG_PLUS_PLUS("cfgPlusPlus", Type.FLAG, Range.ANY, Readers.listed("euler", "ddim",
      "euler-ancestral", "dpmpp-2m", "dpmpp-2s-ancestral"), false,
      "CFG++ (Chung et al. 2024) as ComfyUI's _cfg_pp samplers: the guided x0 with the"
          + " unconditional eps; guidance is their cfg, CFG++'s lambda, used as given"),
  START_STEP("startStep", Type.INTEGER, Range.NON_NEGATIVE, Readers.FIXED_STEP, false,
      "partial sampling: run the steps from this one of the steps-step schedule, from latents"
          + " as the state there (default 0)"),
  END_STEP("endStep", Type.INTEGER, Range.AT_LEAST_ONE, Readers.FIXED_STEP, false,
      "partial sampling: stop before this step and return the state there (default steps)"),
  DENOISE("denoise", Type.NUMBER, Range.HALF_OPEN_UNIT, Readers.FIXED_STEP, false,
      "ComfyUI's denoise: run the last steps of a floor(steps/denoise)-step schedule, from"
          + " latents as the state there (default 1)");

  /** The JSON type of an option's value. */
  public enum Type {
    NUMBER("number", "a number"), INTEGER("integer", "an integer"),
    FLAG("boolean", "true or false"),
    /** The name of one of the option's {@link Named} kinds, read as the kind itself. */
    KIND("string", "a string"),
    /** A string from the option's {@link Choice}s, some taken by some samplers only. */
    CHOICE("string", "a string"),
    NUMBERS("array", "an array of numbers");

    private final String json;
    private final String noun;

    Type(String json, String noun) {
      this.json = json;
      this.noun = noun;
    }

    /** The JSON Schema type name. */
    public String json() {
      return json;
    }
  }

  /**
   * The values an option takes: bounds (NaN for none) and the message that refuses the others.
   *
   * @param text as the README's options table writes it; empty for any
   * @param maximum an upper bound, or NaN
   */
  public record Range(String text, double minimum, boolean exclusiveMinimum, double maximum,
      boolean exclusiveMaximum, boolean finite, String refusal) {
    static final Range ANY = new Range("", Double.NaN, false, Double.NaN, false, false, null);
    static final Range FINITE = new Range("finite", Double.NaN, false, Double.NaN, false, true,
        "%s must be a finite number, got %s");
    static final Range POSITIVE_FINITE = new Range("> 0", 0, true, Double.NaN, false, true,
        "%s must be a finite number > 0, got %s");
    static final Range POSITIVE = new Range("> 0", 0, true, Double.NaN, false, false,
        "%s must be > 0, got %s");
    /** A bound on float32 values: beyond the largest float it would become infinite. */
    static final Range POSITIVE_FLOAT = new Range("in (0, 3.4e38)", 0, true, Float.MAX_VALUE,
        true, false, "%s must be > 0 and below 3.4e38 (it bounds float32 values), got %s");
    static final Range NON_NEGATIVE = new Range(">= 0", 0, false, Double.NaN, false, false,
        "%s must be >= 0, got %s");
    static final Range AT_LEAST_ONE = new Range(">= 1", 1, false, Double.NaN, false, false,
        "%s must be >= 1, got %s");
    static final Range ONE_TO_THREE = new Range("1 to 3", 1, false, 3, false, false,
        "%s must be 1, 2 or 3, got %s");
    /** Counts of extra steps, bounded so that no option multiplies a request's work unchecked. */
    static final Range ONE_TO_HUNDRED = new Range("1 to 100", 1, false, 100, false, false,
        "%s must be from 1 to 100, got %s");
    static final Range ZERO_TO_HUNDRED = new Range("0 to 100", 0, false, 100, false, false,
        "%s must be from 0 to 100, got %s");
    static final Range OPEN_UNIT = new Range("in (0, 1)", 0, true, 1, true, false,
        "%s must be in (0, 1), got %s");
    static final Range HALF_OPEN_UNIT = new Range("in (0, 1]", 0, true, 1, false, false,
        "%s must be in (0, 1], got %s");
    static final Range UNIT = new Range("in [0, 1]", 0, false, 1, false, false,
        "%s must be in [0, 1], got %s");
    static final Range OPEN_SYMMETRIC_UNIT = new Range("in (-1, 1)", -1, true, 1, true, false,
        "%s must be in (-1, 1), got %s");

    /** NaN holds for no bound. */
    boolean holds(double value) {
      return (Double.isNaN(minimum) || (exclusiveMinimum ? value > minimum : value >= minimum))
          && (Double.isNaN(maximum) || (exclusiveMaximum ? value < maximum : value <= maximum))
          && (!finite || Double.isFinite(value));
    }
  }

  /** A value of a {@link Type#KIND} option (a time grid, an AYS family), by its wire name. */
  public interface Named {
    String id();
  }

  /** Which samplers read an option. */
  public record Readers(String text, List<String> ids, Boolean adaptive) {
    static final Readers EVERY = new Readers("every sampler", List.of(), null);
    static final Readers FIXED_STEP = new Readers("the fixed-step samplers", List.of(), false);
    static final Readers ADAPTIVE = new Readers("the adaptive samplers", List.of(), true);

    static Readers listed(String... ids) {
      return new Readers(String.join(", ", ids), List.of(ids), null);
    }

    boolean include(String samplerId, boolean adaptiveSampler) {
      return ids.isEmpty() ? adaptive == null || adaptive == adaptiveSampler
          : ids.contains(samplerId);
    }
  }

  /**
   * One value of a {@link Type#CHOICE} option and the samplers that take it.
   *
   * @param samplers the readers that take it; empty for every reader
   */
  public record Choice(String value, List<String> samplers) {
    static Choice every(String value) {
      return new Choice(value, List.of());
    }

    static Choice of(String value, String... samplers) {
      return new Choice(value, List.of(samplers));
    }

    boolean takenBy(String samplerId) {
      return samplers.isEmpty() || samplers.contains(samplerId);
    }
  }

  private final String id;
  private final Type type;
  private final Range range;
  private final Readers readers;
  private final boolean drawsNoise;
  private final List<Choice> choices;
  private final List<Named> kinds;
  private final String description;

  /** An option of any type but {@link Type#CHOICE}; a {@link Type#KIND} one names its kinds. */
  SamplerOption(String id, Type type, Range range, Readers readers, boolean drawsNoise,
      String description, Named... kinds) {
    this(id, type, range, readers, drawsNoise, List.of(), List.of(kinds), description);
  }

  /** A {@link Type#CHOICE} option: a string from its choices. */
  SamplerOption(String id, Readers readers, List<Choice> choices, String description) {
    this(id, Type.CHOICE, Range.ANY, readers, false, choices, List.of(), description);
  }

  private SamplerOption(String id, Type type, Range range, Readers readers, boolean drawsNoise,
      List<Choice> choices, List<Named> kinds, String description) {
    this.id = id;
    this.type = type;
    this.range = range;
    this.readers = readers;
    this.drawsNoise = drawsNoise;
    this.choices = choices;
    this.kinds = kinds;
    this.description = description;
  }

  /** The name in requests and in {@link SamplerSpec#options()}. */
  public String id() {
    return id;
  }

  public Type type() {
    return type;
  }

  public Range range() {
    return range;
  }

  public Readers readers() {
    return readers;
  }

  /** Whether a value above 0 makes a sampler that is otherwise deterministic draw noise. */
  public boolean drawsNoise() {
    return drawsNoise;
  }

  public String description() {
    return description;
  }

  /** Every value of a choice option, in declaration order; empty for the other types. */
  public List<String> choices() {
    return choices.stream().map(Choice::value).toList();
  }

  /** The values of a choice option that one sampler takes. */
  public List<String> choices(String samplerId) {
    return choices.stream().filter(c -> c.takenBy(samplerId)).map(Choice::value).toList();
  }

  /** The kinds a {@link Type#KIND} option names, in declaration order; empty for the others. */
  public List<Named> kinds() {
    return kinds;
  }

  /**
   * The values it takes as the README's options table writes them: the range, "any", the kinds,
   * or the choices, grouped by the samplers that take them where not all readers do.
   */
  public String domain() {
    if (type == Type.KIND) {
      return kinds.stream().map(Named::id).collect(Collectors.joining(", "));
    }
    if (type != Type.CHOICE) {
      return range.text().isEmpty() ? "any" : range.text();
    }
    Map<List<String>, List<String>> bySamplers = new LinkedHashMap<>();
    choices.forEach(c -> bySamplers.computeIfAbsent(c.samplers(), k -> new ArrayList<>())
        .add(c.value()));
    return bySamplers.entrySet().stream().map(e -> String.join(", ", e.getValue())
        + (e.getKey().isEmpty() ? "" : " (" + String.join(", ", e.getKey()) + ")"))
        .collect(Collectors.joining("; "));
  }

  public static Optional<SamplerOption> byId(String id) {
    return Arrays.stream(values()).filter(o -> o.id.equals(id)).findFirst();
  }

  /** The options a sampler reads, in declaration order. */
  static List<String> readBy(String samplerId, boolean adaptive) {
    return ids(Arrays.stream(values()).filter(o -> o.readers.include(samplerId, adaptive))
        .toArray(SamplerOption[]::new));
  }

  /** The values a sampler takes of each choice option it reads, in declaration order. */
  static Map<String, List<String>> choicesOf(String samplerId, boolean adaptive) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (SamplerOption o : values()) {
      if (o.type == Type.CHOICE && o.readers.include(samplerId, adaptive)) {
        out.put(o.id, o.choices(samplerId));
      }
    }
    return out;
  }

  private static List<String> ids(SamplerOption[] options) {
    return Arrays.stream(options).map(SamplerOption::id).toList();
  }

  /**
   * The value as the samplers read it: a Double, an Integer, a Boolean, one of the option's
   * {@link #kinds()}, a choice's String or an unmodifiable list of Doubles.
   *
   * @throws InvalidJobException for a value of the wrong type or out of range
   */
  Object check(Object value) {
    Object typed = switch (type) {
      case NUMBER -> value instanceof Number number ? (Object) number.doubleValue() : null;
      case INTEGER -> value instanceof Integer number ? number : null;
      case FLAG -> value instanceof Boolean flag ? flag : null;
      case KIND -> value instanceof String name ? kind(name)
          : kinds.contains(value) ? value : null;
      case CHOICE -> value instanceof String name && choices().contains(name) ? name : null;
      case NUMBERS -> value instanceof List<?> list ? numbers(list) : null;
    };
    if (typed == null && type == Type.CHOICE) {
      throw new InvalidJobException(id + " must be one of " + choices() + ", got " + value);
    }
    if (typed == null) {
      throw new InvalidJobException(id + " must be " + type.noun + ", got " + value);
    }
    if (typed instanceof Number number && !range.holds(number.doubleValue())) {
      throw new InvalidJobException(String.format(range.refusal(), id, typed));
    }
    return typed;
  }

  private Named kind(String name) {
    return kinds.stream().filter(k -> k.id().equals(name)).findFirst()
        .orElseThrow(() -> new InvalidJobException("unknown " + id + " '" + name
            + "'; expected one of " + kinds.stream().map(Named::id).toList()));
  }

  private List<Double> numbers(List<?> list) {
    Double[] out = new Double[list.size()];
    for (int i = 0; i < out.length; i++) {
      if (!(list.get(i) instanceof Number number) || !Double.isFinite(number.doubleValue())) {
        throw new InvalidJobException(id + "[" + i + "] must be a finite number, got "
            + list.get(i));
      }
      out[i] = number.doubleValue();
    }
    return List.of(out);
  }
}
