package dev.streamline.models.store;

import dev.streamline.sampler.NetworkConvention;
import dev.streamline.sampler.NetworkConvention.TimeInput;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.Parameterization;
import dev.streamline.sampler.SamplerOption;
import dev.streamline.sampler.SamplerOptions;
import dev.streamline.sampler.TimeGrid;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;

/**
 * Reads a diffusers {@code scheduler_config.json} as diffusers defines it: the schedule, what the
 * network predicts and which time number it takes, and the sampler, steps and grid a diffusers
 * user would expect from the scheduler class. Keys that change the schedule in ways Streamline
 * does not follow are refused with the key, the value and what is supported; keys that only
 * concern diffusers' own stepping are ignored.
 */
final class DiffusersScheduler {

  /** The discrete-time variance-preserving schedulers, with their default sampler and spacing. */
  private static final Map<String, List<String>> DISCRETE = Map.of(
      "DDPMScheduler", List.of("ddpm", "leading"),
      "DDIMScheduler", List.of("ddim", "leading"),
      "PNDMScheduler", List.of("ipndm", "leading"),
      "DPMSolverMultistepScheduler", List.of("dpmpp-2m", "linspace"),
      "EulerDiscreteScheduler", List.of("euler", "linspace"),
      "EulerAncestralDiscreteScheduler", List.of("euler-ancestral", "linspace"),
      "HeunDiscreteScheduler", List.of("heun", "linspace"),
      "LMSDiscreteScheduler", List.of("lms", "linspace"),
      "UniPCMultistepScheduler", List.of("unipc", "linspace"),
      "DEISMultistepScheduler", List.of("deis", "linspace"));
  private static final String FLOW = "FlowMatchEulerDiscreteScheduler";
  private static final Map<String, String> EDM = Map.of(
      "EDMEulerScheduler", "euler",
      "EDMDPMSolverMultistepScheduler", "dpmpp-2m");

  /** The number of steps diffusers' pipelines take by default (28 for SD3's flow). */
  private static final int DEFAULT_STEPS = 50;
  private static final int FLOW_DEFAULT_STEPS = 28;

  private final Path file;
  private final JsonNode config;

  private DiffusersScheduler(Path file, JsonNode config) {
    this.file = file;
    this.config = config;
  }

  /**
   * @param mu the resolution-dependent shift of a flow scheduler with dynamic shifting, from
   *     model.json, or null
   * @throws ModelStoreException naming the file, key and value for anything not understood
   */
  static Conventions read(Path file, JsonNode config, Double mu) {
    return new DiffusersScheduler(file, config).resolve(mu);
  }

  private Conventions resolve(Double mu) {
    String type = text("_class_name", null);
    if (type == null) {
      throw refuse("_class_name is missing; it names the diffusers scheduler class");
    }
    if (DISCRETE.containsKey(type)) {
      return discrete(type);
    }
    if (type.equals(FLOW)) {
      return flow(mu);
    }
    if (EDM.containsKey(type)) {
      return edm(type);
    }
    throw refuse("_class_name '" + type + "' is not supported; supported: "
        + new java.util.TreeSet<>(supported()));
  }

  static List<String> supported() {
    List<String> all = new java.util.ArrayList<>(DISCRETE.keySet());
    all.add(FLOW);
    all.addAll(EDM.keySet());
    return all.stream().sorted().toList();
  }

  private Conventions discrete(String type) {
    int n = integer("num_train_timesteps", 1000);
    if (n < 2) {
      throw refuse("num_train_timesteps must be >= 2, got " + n);
    }
    Map<String, Object> schedule = new LinkedHashMap<>();
    schedule.put("timesteps", n);
    double[] betas;
    JsonNode trained = config.get("trained_betas");
    if (trained != null && !trained.isNull()) {
      if (!trained.isArray() || trained.size() != n) {
        throw refuse("trained_betas must be a list of num_train_timesteps=" + n + " numbers");
      }
      betas = new double[n];
      for (int i = 0; i < n; i++) {
        betas[i] = trained.get(i).asDouble();
      }
      schedule.put("betaSchedule", "trained_betas");
    } else {
      String kind = text("beta_schedule", "linear");
      double start = number("beta_start", 0.0001);
      double end = number("beta_end", 0.02);
      betas = switch (kind) {
        case "linear" -> linspace(start, end, n, false);
        case "scaled_linear" -> linspace(Math.sqrt(start), Math.sqrt(end), n, true);
        case "squaredcos_cap_v2" -> cosineBetas(n);
        default -> throw refuse("beta_schedule '" + kind + "' is not supported; supported:"
            + " [linear, scaled_linear, squaredcos_cap_v2] or trained_betas");
      };
      schedule.put("betaSchedule", kind);
      if (!kind.equals("squaredcos_cap_v2")) {
        schedule.put("betaStart", start);
        schedule.put("betaEnd", end);
      }
    }
    double[] alphasCumprod = new double[n];
    double product = 1;
    for (int i = 0; i < n; i++) {
      if (!(betas[i] > 0 && betas[i] < 1)) {
        throw refuse("beta " + i + " is " + betas[i] + "; every beta must lie in (0, 1)");
      }
      product *= 1 - betas[i];
      alphasCumprod[i] = product;
    }
    if (flag("rescale_betas_zero_snr")) {
      rescaleToZeroTerminalSnr(alphasCumprod);
      schedule.put("rescaleBetasZeroSnr", true);
    }
    String spacing = text("timestep_spacing", DISCRETE.get(type).get(1));
    TimeGrid.Kind grid = switch (spacing) {
      case "leading" -> TimeGrid.Kind.LEADING;
      case "trailing" -> TimeGrid.Kind.TRAILING;
      case "linspace" -> TimeGrid.Kind.LINSPACE;
      default -> throw refuse("timestep_spacing '" + spacing + "' is not supported; supported:"
          + " [leading, trailing, linspace]");
    };
    int offset = integer("steps_offset", 0);
    schedule.put("timestepSpacing", spacing);
    schedule.put("stepsOffset", offset);
    if ((flag("use_karras_sigmas") ? 1 : 0) + (flag("use_exponential_sigmas") ? 1 : 0)
        + (flag("use_beta_sigmas") ? 1 : 0) > 1) {
      throw refuse("more than one of use_karras_sigmas, use_exponential_sigmas and"
          + " use_beta_sigmas is true; diffusers takes one sigma schedule");
    }
    String variance = text("variance_type", "fixed_small");
    if (variance.startsWith("learned")) {
      throw refuse("variance_type '" + variance + "' is not supported: a learned variance doubles"
          + " the network's output channels; Streamline serves fixed variances");
    }
    Map<SamplerOption, Object> defaults = new EnumMap<>(SamplerOption.class);
    if (flag("use_karras_sigmas")) {
      defaults.put(SamplerOption.TIME_GRID, TimeGrid.Kind.KARRAS);
    }
    if (flag("use_exponential_sigmas")) {
      defaults.put(SamplerOption.TIME_GRID, TimeGrid.Kind.EXPONENTIAL);
    }
    if (flag("use_beta_sigmas")) {
      // Beta quantiles in sigma (diffusers' _convert_to_beta), not ComfyUI's in timesteps.
      defaults.put(SamplerOption.TIME_GRID, TimeGrid.Kind.BETA_SIGMAS);
    }
    x0Guard(defaults);
    if (type.equals("DEISMultistepScheduler")) {
      // diffusers' default order is 2, not deis's 3.
      int order = integer("solver_order", 2);
      if (order < 1 || order > 3) {
        throw refuse("solver_order must be 1, 2 or 3 for DEISMultistepScheduler, got " + order);
      }
      defaults.put(SamplerOption.SOLVER_ORDER, order);
    }
    solverType(type, defaults);
    String sampler = DISCRETE.get(type).get(0);
    if (type.equals("DPMSolverMultistepScheduler")
        && text("algorithm_type", "dpmsolver++").startsWith("sde-")) {
      sampler = "dpmpp-2m-sde";
    }
    NoiseProcess process;
    try {
      process = new NoiseProcess.DiscreteVp(alphasCumprod, grid, offset);
    } catch (IllegalArgumentException e) {
      throw refuse(e.getMessage());
    }
    return new Conventions("diffusion", process, schedule,
        NetworkConvention.plain(prediction(List.of("epsilon", "v_prediction", "sample"))),
        sampler, DEFAULT_STEPS, SamplerOptions.of(defaults), type);
  }

  private Conventions flow(Double mu) {
    int n = integer("num_train_timesteps", 1000);
    double shift = number("shift", 1.0);
    if (!(shift > 0)) {
      throw refuse("shift must be > 0, got " + shift);
    }
    Map<String, Object> schedule = new LinkedHashMap<>();
    schedule.put("timesteps", n);
    if (flag("use_dynamic_shifting")) {
      if (mu == null) {
        throw refuse("use_dynamic_shifting needs the resolution-dependent mu, which diffusers'"
            + " pipelines compute from the image size; give \"mu\" in model.json");
      }
      if (!text("time_shift_type", "exponential").equals("exponential")) {
        throw refuse("time_shift_type '" + text("time_shift_type", "") + "' is not supported;"
            + " supported: [exponential]");
      }
      shift = Math.exp(mu);
      schedule.put("mu", mu);
    }
    schedule.put("shift", shift);
    refuseTrue("invert_sigmas", "stochastic_sampling", "use_karras_sigmas",
        "use_exponential_sigmas", "use_beta_sigmas");
    JsonNode terminal = config.get("shift_terminal");
    if (terminal != null && !terminal.isNull()) {
      throw refuse("shift_terminal is not supported (the grid ends at sigma 0)");
    }
    Map<SamplerOption, Object> defaults = new EnumMap<>(SamplerOption.class);
    if (shift != 1.0) {
      defaults.put(SamplerOption.SHIFT, shift);
    }
    // x_s = (1 - s)·x0 + s·noise is the interpolant with t = 1 - s; the network takes s·N and
    // answers noise - x0, the negated velocity dx/dt = x0 - noise.
    NetworkConvention network = new NetworkConvention(Parameterization.VELOCITY,
        new TimeInput(TimeInput.Variable.SIGMA, n), 0, -1);
    return new Conventions("flow", new NoiseProcess.LinearInterpolant(), schedule, network,
        "euler", FLOW_DEFAULT_STEPS, SamplerOptions.of(defaults), FLOW);
  }

  private Conventions edm(String type) {
    double sigmaMin = number("sigma_min", 0.002);
    double sigmaMax = number("sigma_max", 80.0);
    double sigmaData = number("sigma_data", 0.5);
    double rho = number("rho", 7.0);
    if (!(sigmaData > 0)) {
      throw refuse("sigma_data must be > 0, got " + sigmaData);
    }
    NoiseProcess process;
    try {
      process = new NoiseProcess.Edm(sigmaMin, sigmaMax);
    } catch (IllegalArgumentException e) {
      throw refuse("sigma_min and sigma_max: " + e.getMessage());
    }
    String schedule = text("sigma_schedule", "karras");
    Map<SamplerOption, Object> defaults = new EnumMap<>(SamplerOption.class);
    switch (schedule) {
      case "karras" -> {
        defaults.put(SamplerOption.TIME_GRID, TimeGrid.Kind.KARRAS);
        defaults.put(SamplerOption.RHO, rho);
      }
      case "exponential" -> defaults.put(SamplerOption.TIME_GRID, TimeGrid.Kind.LOG_SNR);
      default -> throw refuse("sigma_schedule '" + schedule + "' is not supported; supported:"
          + " [karras, exponential]");
    }
    Parameterization p = prediction(List.of("epsilon", "v_prediction"));
    NetworkConvention network = new NetworkConvention(Parameterization.X0,
        new TimeInput(TimeInput.Variable.C_NOISE, 1), sigmaData,
        p == Parameterization.V ? -1 : 1);
    Map<String, Object> described = new LinkedHashMap<>();
    described.put("sigmaMin", sigmaMin);
    described.put("sigmaMax", sigmaMax);
    described.put("sigmaSchedule", schedule);
    described.put("rho", rho);
    described.put("predictionType", text("prediction_type", "epsilon"));
    return new Conventions("diffusion", process, described, network, EDM.get(type),
        DEFAULT_STEPS, SamplerOptions.of(defaults), type);
  }

  private Parameterization prediction(List<String> allowed) {
    String value = text("prediction_type", "epsilon");
    if (!allowed.contains(value)) {
      throw refuse("prediction_type '" + value + "' is not supported for "
          + text("_class_name", "") + "; supported: " + allowed);
    }
    return switch (value) {
      case "epsilon" -> Parameterization.EPSILON;
      case "v_prediction" -> Parameterization.V;
      default -> Parameterization.X0;
    };
  }

  /**
   * solver_type as the solverType option, for the multistep schedulers that have one. As
   * diffusers does, each reads the other's values as its own default (DPM-Solver's logrho, bh1
   * and bh2 as midpoint; UniPC's midpoint, heun and logrho as bh2) and refuses the rest.
   */
  private void solverType(String type, Map<SamplerOption, Object> defaults) {
    List<String> own;
    List<String> readAsDefault;
    if (type.equals("DPMSolverMultistepScheduler")) {
      own = List.of("midpoint", "heun");
      readAsDefault = List.of("logrho", "bh1", "bh2");
    } else if (type.equals("UniPCMultistepScheduler")) {
      own = List.of("bh2", "bh1");
      readAsDefault = List.of("midpoint", "heun", "logrho");
    } else {
      return;
    }
    String value = text("solver_type", own.get(0));
    if (!own.contains(value) && !readAsDefault.contains(value)) {
      throw refuse("solver_type '" + value + "' is not supported for " + type + "; supported: "
          + own);
    }
    if (own.indexOf(value) > 0) {
      defaults.put(SamplerOption.SOLVER_TYPE, value);
    }
  }

  /** clip_sample and thresholding as Streamline's x0 guards. */
  private void x0Guard(Map<SamplerOption, Object> defaults) {
    if (flag("thresholding")) {
      // diffusers bounds the per-sample scale s to [1, sample_max_value]; at its default of 1
      // that is a clip to [-1, 1]. Streamline's dynamic threshold leaves s unbounded above.
      double max = number("sample_max_value", 1.0);
      if (max != 1.0) {
        throw refuse("thresholding with sample_max_value " + max + " is not supported; Streamline"
            + " serves it with sample_max_value 1.0 (a clip to [-1, 1]) or the request's"
            + " threshold option (no upper bound)");
      }
      defaults.put(SamplerOption.CLIP, 1.0);
    } else if (flag("clip_sample")) {
      defaults.put(SamplerOption.CLIP, number("clip_sample_range", 1.0));
    }
  }

  /** diffusers' rescale_zero_terminal_snr, with the last ᾱ kept off 0 as its Euler scheduler does. */
  private static void rescaleToZeroTerminalSnr(double[] alphasCumprod) {
    int n = alphasCumprod.length;
    double first = Math.sqrt(alphasCumprod[0]);
    double last = Math.sqrt(alphasCumprod[n - 1]);
    for (int i = 0; i < n; i++) {
      double a = (Math.sqrt(alphasCumprod[i]) - last) * first / (first - last);
      alphasCumprod[i] = a * a;
    }
    alphasCumprod[n - 1] = Math.pow(2, -24);
  }

  private static double[] linspace(double from, double to, int n, boolean squared) {
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      double v = from + (to - from) * i / (n - 1);
      out[i] = squared ? v * v : v;
    }
    return out;
  }

  /** Nichol &amp; Dhariwal's cosine ᾱ, as betas capped at 0.999. */
  private static double[] cosineBetas(int n) {
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = Math.min(1 - cosineAlphaBar((i + 1.0) / n) / cosineAlphaBar((double) i / n), 0.999);
    }
    return out;
  }

  private static double cosineAlphaBar(double u) {
    double c = Math.cos((u + 0.008) / 1.008 * Math.PI / 2);
    return c * c;
  }

  private void refuseTrue(String... keys) {
    for (String key : keys) {
      if (flag(key)) {
        throw refuse(key + " = true is not supported");
      }
    }
  }

  private String text(String key, String fallback) {
    return value(key, fallback, JsonNode::isString, "a string", JsonNode::asString);
  }

  private double number(String key, double fallback) {
    return value(key, fallback, JsonNode::isNumber, "a number", JsonNode::asDouble);
  }

  private int integer(String key, int fallback) {
    return value(key, fallback, n -> n.isIntegralNumber() && n.canConvertToInt(), "an integer",
        JsonNode::asInt);
  }

  private boolean flag(String key) {
    return value(key, false, JsonNode::isBoolean, "true or false", JsonNode::asBoolean);
  }

  /** A key's value, or the fallback where it is absent or null; a value of another type is refused. */
  private <T> T value(String key, T fallback, Predicate<JsonNode> fits, String expected,
      Function<JsonNode, T> read) {
    JsonNode node = config.get(key);
    if (node == null || node.isNull()) {
      return fallback;
    }
    if (!fits.test(node)) {
      throw refuse(key + " must be " + expected + ", got " + node);
    }
    return read.apply(node);
  }

  private ModelStoreException refuse(String message) {
    return new ModelStoreException(file + ": " + message);
  }
}
