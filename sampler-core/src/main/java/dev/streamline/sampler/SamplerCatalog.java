package dev.streamline.sampler;

import static dev.streamline.sampler.ode.ButcherTableau.BOSH3;
import static dev.streamline.sampler.ode.ButcherTableau.DOPRI5;
import static dev.streamline.sampler.ode.ButcherTableau.EULER;
import static dev.streamline.sampler.ode.ButcherTableau.HEUN;
import static dev.streamline.sampler.ode.ButcherTableau.MIDPOINT;
import static dev.streamline.sampler.ode.ButcherTableau.RK4;

import dev.streamline.sampler.diffusion.AncestralSamplers;
import dev.streamline.sampler.diffusion.DiffusionSamplers;
import dev.streamline.sampler.ode.AdaptiveRungeKutta;
import dev.streamline.sampler.ode.ButcherTableau;
import dev.streamline.sampler.ode.RungeKutta;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Every sampler Streamline offers, by id: what it is (its spec) and how it steps (its method). */
public final class SamplerCatalog {

  private record Entry(SamplerSpec spec, Supplier<StepMethod> method) {}

  private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

  static {
    fixed(EULER, 1, "Explicit Euler on the probability-flow ODE");
    fixed(MIDPOINT, 2, "Explicit midpoint rule");
    fixed(HEUN, 2, "Heun's method (explicit trapezoid)");
    fixed(RK4, 4, "Classical fourth-order Runge-Kutta");
    adaptive(BOSH3, 3, "Bogacki-Shampine 3(2) with PI step-size control");
    adaptive(DOPRI5, 6, "Dormand-Prince 5(4) with PI step-size control");
    add(new SamplerSpec("ddpm", "sde", 1, 1, true, false, false, false,
        "Ancestral sampling from the DDPM posterior (Ho et al. 2020)"), DiffusionSamplers::ddpm);
    add(new SamplerSpec("ddim", "ode", 1, 1, false, false, true, false,
        "DDIM (Song et al. 2021); eta > 0 adds DDPM-like noise"), DiffusionSamplers::ddim);
    add(new SamplerSpec("euler-maruyama", "sde", 1, 1, true, false, false, false,
        "Euler-Maruyama on the reverse-time SDE (Song et al. 2021)"),
        FixedStepMethod.fromFiniteStart(DiffusionSamplers::eulerMaruyama));
    add(new SamplerSpec("pc-langevin", "sde", 1, 2, true, false, false, false,
        "Predictor-corrector: Euler-Maruyama predictor, Langevin corrector (Song et al. 2021)"),
        FixedStepMethod.fromFiniteStart(DiffusionSamplers::pcLangevin));
    add(new SamplerSpec("edm-heun", "ode", 2, 2, false, false, false, false,
        "Karras et al. 2022, Algorithm 2; churn > 0 makes it stochastic"),
        DiffusionSamplers::edmHeun);
    add(new SamplerSpec("dpmpp-2m", "ode", 2, 1, false, false, false, false,
        "DPM-Solver++(2M) multistep (Lu et al. 2022)"), DiffusionSamplers::dpmpp2m);
    add(new SamplerSpec("dpmpp-2m-sde", "sde", 2, 1, true, false, false, false,
        "DPM-Solver++(2M) SDE, midpoint form (Lu et al. 2022)"), DiffusionSamplers::dpmpp2mSde);
    add(new SamplerSpec("unipc", "ode", 3, 1, false, false, false, false,
        "UniPC: UniP-2 predictor with UniC corrector, bh2 (Zhao et al. 2023)"),
        DiffusionSamplers::unipc);
    add(new SamplerSpec("euler-ancestral", "sde", 1, 1, true, false, false, false,
        "k-diffusion's euler_ancestral: Euler step to sigma_down, then noise sigma_up"),
        AncestralSamplers::eulerAncestral);
    add(new SamplerSpec("dpm2", "ode", 2, 2, false, false, false, false,
        "k-diffusion's dpm_2: DPM-Solver-2 midpoint in log sigma (Karras et al. 2022)"),
        AncestralSamplers::dpm2);
    add(new SamplerSpec("dpm2-ancestral", "sde", 2, 2, true, false, false, false,
        "k-diffusion's dpm_2_ancestral: DPM-2 to sigma_down, then noise sigma_up"),
        AncestralSamplers::dpm2Ancestral);
    add(new SamplerSpec("dpmpp-2s-ancestral", "sde", 2, 2, true, false, false, false,
        "k-diffusion's dpmpp_2s_ancestral: DPM-Solver++(2S) (Lu et al. 2022) with ancestral noise"),
        AncestralSamplers::dpmpp2sAncestral);
  }

  private SamplerCatalog() {}

  private static void fixed(ButcherTableau tableau, int evals, String description) {
    // A Runge–Kutta tableau integrates any field, either way along it.
    add(new SamplerSpec(tableau.id(), "ode", tableau.order(), evals, false, false, true, true,
        description), RungeKutta.fixedStep(tableau));
  }

  private static void adaptive(ButcherTableau tableau, int evals, String description) {
    AdaptiveRungeKutta solver = new AdaptiveRungeKutta(tableau);
    add(new SamplerSpec(tableau.id(), "ode", tableau.order(), evals, false, true, true, true,
        description), () -> solver);
  }

  private static void add(SamplerSpec spec, FixedStepMethod stateless) {
    add(spec, () -> stateless);
  }

  /** A method that keeps history between steps: a fresh one for every run. */
  private static void add(SamplerSpec spec, Supplier<StepMethod> perRun) {
    ENTRIES.put(spec.id(), new Entry(spec, perRun));
  }

  /** The samplers that integrate a likelihood's augmented ODE: the Runge–Kutta tableaux. */
  public static List<String> likelihoodSamplers() {
    return ENTRIES.values().stream().map(Entry::spec).filter(SamplerSpec::likelihood)
        .map(SamplerSpec::id).toList();
  }

  /**
   * The samplers that can be run backwards, from data to noise: the Runge–Kutta tableaux, and
   * ddim, whose reversed step is DDIM inversion.
   */
  public static List<String> encodingSamplers() {
    return ENTRIES.values().stream().map(Entry::spec).filter(SamplerSpec::invertible)
        .map(SamplerSpec::id).toList();
  }

  public static List<SamplerSpec> specs() {
    return ENTRIES.values().stream().map(Entry::spec).toList();
  }

  public static SamplerSpec spec(String id) {
    return entry(id).spec();
  }

  /** The sampler's method, for one run. */
  public static StepMethod method(String id) {
    return entry(id).method().get();
  }

  private static Entry entry(String id) {
    Entry entry = ENTRIES.get(id);
    if (entry == null) {
      throw new InvalidJobException(
          "unknown sampler '" + id + "'; expected one of " + ENTRIES.keySet());
    }
    return entry;
  }
}
