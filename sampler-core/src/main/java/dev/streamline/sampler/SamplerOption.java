package dev.streamline.sampler;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Every sampler knob, declared once: its name on the wire, its type and range, which samplers
 * read it, and what it does. Validation ({@link SamplerOptions}), each {@link SamplerSpec}'s
 * option list, the service's {@code /v1/samplers} catalog and OpenAPI schema, and the README's
 * options table all come from here.
 */
public enum SamplerOption {
  ETA("eta", Type.NUMBER, Range.NON_NEGATIVE, Readers.listed("ddim", "dpmpp-2m-sde",
      "euler-ancestral", "dpm2-ancestral", "dpmpp-2s-ancestral", "sa-solver"), true,
      "noise: 0 deterministic, 1 the DDPM posterior (default 0 for ddim, 1 for the others)"),
  CHURN("churn", Type.NUMBER, Range.NON_NEGATIVE, Readers.listed("edm-heun"), true,
      "S_churn of Karras et al.: total noise added back over the run (default 0)"),
  CHURN_MIN("churnMin", Type.NUMBER, Range.NON_NEGATIVE, Readers.listed("edm-heun"), false,
      "S_tmin: churn only where sigma >= churnMin (default 0)"),
  CHURN_MAX("churnMax", Type.NUMBER, Range.NON_NEGATIVE, Readers.listed("edm-heun"), false,
      "S_tmax: churn only where sigma <= churnMax (default unbounded)"),
  CHURN_NOISE("churnNoise", Type.NUMBER, Range.NON_NEGATIVE, Readers.listed("edm-heun"), false,
      "S_noise: scale of the churn noise (default 1)"),
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
  TIME_GRID("timeGrid", Type.GRID, Range.ANY, Readers.FIXED_STEP, false,
      "step placement: uniform, karras, log-snr, exponential, polyexponential, kl-optimal,"
          + " normal, sgm-uniform, beta, linear-quadratic, or on a discrete schedule's timesteps"
          + " leading, trailing, linspace, simple or ddim-uniform (default the model's own)"),
  RHO("rho", Type.NUMBER, Range.POSITIVE, Readers.FIXED_STEP, false,
      "exponent of the karras and polyexponential grids (default 7)"),
  SHIFT("shift", Type.NUMBER, Range.POSITIVE, Readers.FIXED_STEP, false,
      "timestep shift s·u/(1+(s-1)·u) of SD3 (default 1, none)"),
  CLIP("clip", Type.NUMBER, Range.POSITIVE_FLOAT, Readers.EVERY, false,
      "clips x0 predictions to [-clip, clip]"),
  THRESHOLD("threshold", Type.NUMBER, Range.OPEN_UNIT, Readers.EVERY, false,
      "Imagen's dynamic thresholding of x0 at this percentile of abs(x0)");

  /** The JSON type of an option's value. */
  public enum Type {
    NUMBER("number", "a number"), INTEGER("integer", "an integer"),
    FLAG("boolean", "true or false"), GRID("string", "a string");

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
   * @param maximum an exclusive upper bound, or NaN
   */
  public record Range(String text, double minimum, boolean exclusiveMinimum, double maximum,
      boolean finite, String refusal) {
    static final Range ANY = new Range("", Double.NaN, false, Double.NaN, false, null);
    static final Range POSITIVE_FINITE = new Range("> 0", 0, true, Double.NaN, true,
        "%s must be a finite number > 0, got %s");
    static final Range POSITIVE = new Range("> 0", 0, true, Double.NaN, false,
        "%s must be > 0, got %s");
    /** A bound on float32 values: beyond the largest float it would become infinite. */
    static final Range POSITIVE_FLOAT = new Range("in (0, 3.4e38)", 0, true, Float.MAX_VALUE,
        false, "%s must be > 0 and below 3.4e38 (it bounds float32 values), got %s");
    static final Range NON_NEGATIVE = new Range(">= 0", 0, false, Double.NaN, false,
        "%s must be >= 0, got %s");
    static final Range AT_LEAST_ONE = new Range(">= 1", 1, false, Double.NaN, false,
        "%s must be >= 1, got %s");
    /** Counts of extra steps, bounded so that no option multiplies a request's work unchecked. */
    static final Range ONE_TO_HUNDRED = new Range("1 to 100", 1, false, 101, false,
        "%s must be from 1 to 100, got %s");
    static final Range ZERO_TO_HUNDRED = new Range("0 to 100", 0, false, 101, false,
        "%s must be from 0 to 100, got %s");
    static final Range OPEN_UNIT = new Range("in (0, 1)", 0, true, 1, false,
        "%s must be in (0, 1), got %s");

    /** NaN holds for no bound. */
    boolean holds(double value) {
      return (Double.isNaN(minimum) || (exclusiveMinimum ? value > minimum : value >= minimum))
          && (Double.isNaN(maximum) || value < maximum) && (!finite || Double.isFinite(value));
    }
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

  private final String id;
  private final Type type;
  private final Range range;
  private final Readers readers;
  private final boolean drawsNoise;
  private final String description;

  SamplerOption(String id, Type type, Range range, Readers readers, boolean drawsNoise,
      String description) {
    this.id = id;
    this.type = type;
    this.range = range;
    this.readers = readers;
    this.drawsNoise = drawsNoise;
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

  public static Optional<SamplerOption> byId(String id) {
    return Arrays.stream(values()).filter(o -> o.id.equals(id)).findFirst();
  }

  /** The options a sampler reads, in declaration order. */
  static List<String> readBy(String samplerId, boolean adaptive) {
    return ids(Arrays.stream(values()).filter(o -> o.readers.include(samplerId, adaptive))
        .toArray(SamplerOption[]::new));
  }

  private static List<String> ids(SamplerOption[] options) {
    return Arrays.stream(options).map(SamplerOption::id).toList();
  }

  /**
   * The value as the samplers read it: a Double, an Integer, a Boolean or a
   * {@link TimeGrid.Kind}.
   *
   * @throws InvalidJobException for a value of the wrong type or out of range
   */
  Object check(Object value) {
    Object typed = switch (type) {
      case NUMBER -> value instanceof Number number ? (Object) number.doubleValue() : null;
      case INTEGER -> value instanceof Integer number ? number : null;
      case FLAG -> value instanceof Boolean flag ? flag : null;
      case GRID -> value instanceof TimeGrid.Kind kind ? kind
          : value instanceof String name ? TimeGrid.Kind.fromId(name) : null;
    };
    if (typed == null) {
      throw new InvalidJobException(id + " must be " + type.noun + ", got " + value);
    }
    if (typed instanceof Number number && !range.holds(number.doubleValue())) {
      throw new InvalidJobException(String.format(range.refusal(), id, typed));
    }
    return typed;
  }
}
