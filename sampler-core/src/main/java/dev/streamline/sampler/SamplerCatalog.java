package dev.streamline.sampler;

import static dev.streamline.sampler.ode.ButcherTableau.BOSH3;
import static dev.streamline.sampler.ode.ButcherTableau.DOPRI5;
import static dev.streamline.sampler.ode.ButcherTableau.EULER;
import static dev.streamline.sampler.ode.ButcherTableau.HEUN;
import static dev.streamline.sampler.ode.ButcherTableau.MIDPOINT;
import static dev.streamline.sampler.ode.ButcherTableau.RK4;

import dev.streamline.sampler.diffusion.AncestralSamplers;
import dev.streamline.sampler.diffusion.DiffusionSamplers;
import dev.streamline.sampler.diffusion.DpmAdaptive;
import dev.streamline.sampler.diffusion.MultistepSamplers;
import dev.streamline.sampler.diffusion.Restart;
import dev.streamline.sampler.diffusion.SaSolver;
import dev.streamline.sampler.ode.AdaptiveRungeKutta;
import dev.streamline.sampler.ode.ButcherTableau;
import dev.streamline.sampler.ode.RungeKutta;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Every sampler Streamline offers, by id: what it is (its spec) and how it steps (its method). */
public final class SamplerCatalog {

  private record Entry(SamplerSpec spec, Supplier<StepMethod> method) {}

  private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();
  private static final Map<String, Alias> ALIASES = new LinkedHashMap<>();

  /** Another name for a sampler, with the options it implies where the name says more. */
  private record Alias(String id, SamplerOptions preset) {}

  static {
    rungeKutta(EULER, 1, false, "Explicit Euler on the probability-flow ODE");
    rungeKutta(MIDPOINT, 2, false, "Explicit midpoint rule");
    rungeKutta(HEUN, 2, false, "Heun's method (explicit trapezoid)");
    rungeKutta(RK4, 4, false, "Classical fourth-order Runge-Kutta");
    rungeKutta(BOSH3, 3, true, "Bogacki-Shampine 3(2) with PI step-size control");
    rungeKutta(DOPRI5, 6, true, "Dormand-Prince 5(4) with PI step-size control");
    add(sde("ddpm", 1, 1,
        "Ancestral sampling from the DDPM posterior (Ho et al. 2020)"), DiffusionSamplers::ddpm);
    add(new SamplerSpec("ddim", "ode", 1, 1, false, false, true, false,
        "DDIM (Song et al. 2021); eta > 0 adds DDPM-like noise"), DiffusionSamplers::ddim);
    add(sde("euler-maruyama", 1, 1,
        "Euler-Maruyama on the reverse-time SDE (Song et al. 2021)"),
        FixedStepMethod.fromFiniteStart(DiffusionSamplers::eulerMaruyama));
    add(sde("pc-langevin", 1, 2,
        "Predictor-corrector: Euler-Maruyama predictor, Langevin corrector (Song et al. 2021)"),
        FixedStepMethod.fromFiniteStart(DiffusionSamplers::pcLangevin));
    add(ode("edm-heun", 2, 2,
        "Karras et al. 2022, Algorithm 2; churn > 0 makes it stochastic"),
        DiffusionSamplers::edmHeun);
    add(ode("dpmpp-2m", 2, 1,
        "DPM-Solver++(2M) multistep (Lu et al. 2022)"), DiffusionSamplers::dpmpp2m);
    add(sde("dpmpp-2m-sde", 2, 1,
        "DPM-Solver++(2M) SDE, midpoint or heun form (Lu et al. 2022)"),
        DiffusionSamplers::dpmpp2mSde);
    add(ode("unipc", 3, 1,
        "UniPC: UniP-2 predictor with UniC corrector, bh1 or bh2 (Zhao et al. 2023)"),
        DiffusionSamplers::unipc);
    add(sde("euler-ancestral", 1, 1,
        "k-diffusion's euler_ancestral: Euler step to sigma_down, then noise sigma_up"),
        AncestralSamplers::eulerAncestral);
    add(ode("dpm2", 2, 2,
        "k-diffusion's dpm_2: DPM-Solver-2 midpoint in log sigma (Karras et al. 2022)"),
        AncestralSamplers::dpm2);
    add(sde("dpm2-ancestral", 2, 2,
        "k-diffusion's dpm_2_ancestral: DPM-2 to sigma_down, then noise sigma_up"),
        AncestralSamplers::dpm2Ancestral);
    add(sde("dpmpp-2s-ancestral", 2, 2,
        "k-diffusion's dpmpp_2s_ancestral: DPM-Solver++(2S) (Lu et al. 2022) with ancestral noise"),
        AncestralSamplers::dpmpp2sAncestral);
    add(ode("lms", 4, 1,
        "k-diffusion's lms: linear multistep of order 4 in sigma"), MultistepSamplers::lms);
    add(ode("ipndm", 2, 1,
        "Improved PNDM (Zhang & Chen 2022): Adams-Bashforth weights of order 4 for equal steps"),
        MultistepSamplers::ipndm);
    add(ode("deis", 3, 1,
        "DEIS with time-based Adams-Bashforth weights, tAB (Zhang & Chen 2022)"),
        MultistepSamplers::deis);
    add(ode("res-multistep", 2, 1,
        "ComfyUI's res_multistep: second-order multistep exponential integrator (RES)"),
        MultistepSamplers::resMultistep);
    add(sde("dpmpp-sde", 2, 2,
        "k-diffusion's dpmpp_sde: DPM-Solver++ (Lu et al. 2022) SDE, two stages at r = 1/2"),
        AncestralSamplers::dpmppSde);
    add(sde("dpmpp-3m-sde", 2, 1,
        "k-diffusion's dpmpp_3m_sde: DPM-Solver++(3M) SDE; its first-order first step keeps it"
            + " at order 2"),
        DiffusionSamplers::dpmpp3mSde);
    add(sde("lcm", 1, 1,
        "k-diffusion's lcm: multistep consistency sampling (Song et al. 2023), each step the x0"
            + " estimate noised afresh"), AncestralSamplers::lcm);
    add(sde("restart", 2, 2,
        "Restart sampling (Xu et al. 2023): Heun steps, with an interval noised back up and"
            + " re-solved"), new Restart());
    DpmAdaptive dpmAdaptive = new DpmAdaptive();
    add(adaptive("dpm-adaptive", 3, 3,
        "k-diffusion's dpm_adaptive: DPM-Solver-3 with an embedded DPM-Solver-2 (Lu et al. 2022),"
            + " adaptive steps"), () -> dpmAdaptive);
    add(sde("sa-solver", 4, 1,
        "SA-Solver (Xue et al. 2023): stochastic Adams predictor-corrector in data prediction"),
        SaSolver::new);

    // k-diffusion's and ComfyUI's names. Their euler is Euler in the model's sigma, which is
    // ddim here on every model (on a flow's straight path DDIM's step is Euler's), and their heun
    // is heun on a flow but edm-heun on an epsilon model; both names keep their meaning here.
    // ComfyUI's SDE samplers draw from a Brownian tree by default (its _gpu variants too).
    alias("euler_ancestral", "euler-ancestral");
    alias("dpm_2", "dpm2");
    alias("dpm_2_ancestral", "dpm2-ancestral");
    alias("dpmpp_2s_ancestral", "dpmpp-2s-ancestral");
    alias("dpmpp_2m", "dpmpp-2m");
    alias("dpmpp_2m_sde", "dpmpp-2m-sde", brownian());
    alias("dpmpp_2m_sde_gpu", "dpmpp-2m-sde", brownian());
    alias("dpmpp_2m_sde_heun", "dpmpp-2m-sde",
        brownian().with(SamplerOption.SOLVER_TYPE, "heun"));
    alias("dpmpp_2m_sde_heun_gpu", "dpmpp-2m-sde",
        brownian().with(SamplerOption.SOLVER_TYPE, "heun"));
    alias("dpmpp_sde", "dpmpp-sde", brownian());
    alias("dpmpp_sde_gpu", "dpmpp-sde", brownian());
    alias("dpmpp_3m_sde", "dpmpp-3m-sde", brownian());
    alias("dpmpp_3m_sde_gpu", "dpmpp-3m-sde", brownian());
    alias("uni_pc", "unipc", SamplerOptions.DEFAULT.with(SamplerOption.SOLVER_TYPE, "bh1"));
    alias("uni_pc_bh2", "unipc");
    alias("res_multistep", "res-multistep");
    alias("dpm_adaptive", "dpm-adaptive");
    alias("sa_solver", "sa-solver");
    alias("euler_cfg_pp", "ddim", plusPlus());
    alias("euler_ancestral_cfg_pp", "euler-ancestral", plusPlus());
    alias("dpmpp_2m_cfg_pp", "dpmpp-2m", plusPlus());
    alias("dpmpp_2s_ancestral_cfg_pp", "dpmpp-2s-ancestral", plusPlus());
  }

  private SamplerCatalog() {}

  /** A Runge–Kutta tableau: it integrates any field, either way along it. */
  private static void rungeKutta(ButcherTableau tableau, int evals, boolean adaptive,
      String description) {
    SamplerSpec spec = new SamplerSpec(tableau.id(), "ode", tableau.order(), evals, false,
        adaptive, true, true, description);
    if (adaptive) {
      AdaptiveRungeKutta solver = new AdaptiveRungeKutta(RungeKutta.embedded(tableau));
      add(spec, () -> solver);
    } else if (tableau == EULER) {
      add(spec, DiffusionSamplers.euler(RungeKutta.fixedStep(tableau)));
    } else {
      add(spec, RungeKutta.fixedStep(tableau));
    }
  }

  /** A deterministic diffusion sampler that runs one way only, noise to data. */
  private static SamplerSpec ode(String id, int order, int evals, String description) {
    return new SamplerSpec(id, "ode", order, evals, false, false, false, false, description);
  }

  /** A deterministic diffusion sampler that chooses its own steps, noise to data. */
  private static SamplerSpec adaptive(String id, int order, int evals, String description) {
    return new SamplerSpec(id, "ode", order, evals, false, true, false, false, description);
  }

  /** A sampler of the reverse SDE, which draws noise at every step. */
  private static SamplerSpec sde(String id, int order, int evals, String description) {
    return new SamplerSpec(id, "sde", order, evals, true, false, false, false, description);
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
    return ids(SamplerSpec::likelihood);
  }

  /**
   * The samplers that can be run backwards, from data to noise: the Runge–Kutta tableaux, and
   * ddim, whose reversed step is DDIM inversion.
   */
  public static List<String> encodingSamplers() {
    return ids(SamplerSpec::invertible);
  }

  private static List<String> ids(Predicate<SamplerSpec> property) {
    return specs().stream().filter(property).map(SamplerSpec::id).toList();
  }

  public static List<SamplerSpec> specs() {
    return ENTRIES.values().stream().map(Entry::spec).toList();
  }

  /** The sampler of this id or alias. */
  public static SamplerSpec spec(String id) {
    return entry(id).spec();
  }

  /** The sampler's method, for one run. */
  public static StepMethod method(String id) {
    return entry(id).method().get();
  }

  private static SamplerOptions brownian() {
    return SamplerOptions.DEFAULT.with(SamplerOption.NOISE, "brownian-tree");
  }

  private static SamplerOptions plusPlus() {
    return SamplerOptions.DEFAULT.with(SamplerOption.CFG_PLUS_PLUS, true);
  }

  /** Another name for a sampler: requests may use it, answers give the sampler's own id. */
  private static void alias(String alias, String id) {
    alias(alias, id, SamplerOptions.DEFAULT);
  }

  /** A name that also sets options, as ComfyUI's uni_pc (bh1) and dpmpp_2m_sde_heun do. */
  private static void alias(String alias, String id, SamplerOptions preset) {
    Entry entry = ENTRIES.get(id);
    ENTRIES.put(id, new Entry(entry.spec().withAlias(alias), entry.method()));
    ALIASES.put(alias, new Alias(id, preset));
  }

  /**
   * The options a sampler's name implies under those a job gives: none for an id, the preset of
   * an alias that says more than the sampler's name.
   */
  public static SamplerOptions named(String id, SamplerOptions given) {
    Alias alias = ALIASES.get(id);
    return alias == null ? given : given.over(alias.preset(), entry(id).spec());
  }

  private static Entry entry(String id) {
    Alias alias = ALIASES.get(id);
    Entry entry = ENTRIES.get(alias == null ? id : alias.id());
    if (entry == null) {
      throw new InvalidJobException("unknown sampler '" + id + "'; expected one of "
          + ENTRIES.keySet() + " or an alias of one, " + ALIASES.keySet());
    }
    return entry;
  }
}
