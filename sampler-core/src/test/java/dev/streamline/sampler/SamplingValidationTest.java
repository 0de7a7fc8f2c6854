package dev.streamline.sampler;

import static dev.streamline.sampler.SamplerOption.ATOL;
import static dev.streamline.sampler.SamplerOption.MAX_NFE;
import static dev.streamline.sampler.SamplerOption.MIN_STEP;
import static dev.streamline.sampler.SamplerOption.RTOL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** Bad requests and runs that cannot finish fail with messages a caller can act on. */
class SamplingValidationTest extends ManagedTest {

  @Test
  void anAliasRunsItsSamplerUnderTheSamplersId() {
    SamplingJob job = SamplingJob.of("dpmpp_2s_ancestral", 8, 4, 3);
    assertThat(job.sampler()).isEqualTo("dpmpp-2s-ancestral");
    assertThat(SamplerCatalog.spec("dpm_2").id()).isEqualTo("dpm2");
    assertThat(SamplerCatalog.spec("dpm2").aliases()).containsExactly("dpm_2");
    NDArray viaAlias = Engine.run(Engine.flowModel(), job, manager).samples();
    NDArray viaId = Engine.run(Engine.flowModel(), SamplingJob.of("dpmpp-2s-ancestral", 8, 4, 3),
        manager).samples();
    assertThat(viaAlias.toFloatArray()).containsExactly(viaId.toFloatArray());
  }

  /** A ComfyUI name that says more than the sampler sets those options, under the job's own. */
  @Test
  void anAliasSetsTheOptionsItsNameImplies() {
    assertThat(SamplingJob.of("uni_pc", 8, 2, 0).options().value(SamplerOption.SOLVER_TYPE))
        .isEqualTo("bh1");
    assertThat(SamplingJob.of("uni_pc_bh2", 8, 2, 0).options().given()).isEmpty();
    SamplingJob heun = SamplingJob.of("dpmpp_2m_sde_heun", 8, 2, 0);
    assertThat(heun.sampler()).isEqualTo("dpmpp-2m-sde");
    assertThat(heun.options().value(SamplerOption.SOLVER_TYPE)).isEqualTo("heun");
    assertThat(heun.options().value(SamplerOption.NOISE)).isEqualTo("brownian-tree");
    SamplingJob told = new SamplingJob("dpmpp_2m_sde_heun", 8, 2, 0, 1.0, null, null,
        SamplerOptions.DEFAULT.with(SamplerOption.SOLVER_TYPE, "midpoint"), false,
        DataType.FLOAT32);
    assertThat(told.options().value(SamplerOption.SOLVER_TYPE)).isEqualTo("midpoint");
    assertThat(SamplingJob.of("euler_cfg_pp", 8, 2, 0).options().flag(SamplerOption.CFG_PLUS_PLUS))
        .isTrue();
    NDArray viaAlias = Engine.run(Engine.vpModel(), SamplingJob.of("uni_pc", 12, 4, 1), manager)
        .samples();
    NDArray viaOption = Engine.run(Engine.vpModel(), SamplingJob.of("unipc", 12, 4, 1)
        .withOptions(SamplerOptions.DEFAULT.with(SamplerOption.SOLVER_TYPE, "bh1")), manager)
        .samples();
    assertThat(viaAlias.toFloatArray()).containsExactly(viaOption.toFloatArray());
  }

  @Test
  void everyNameMeansOneSampler() {
    List<String> names = new ArrayList<>();
    SamplerCatalog.specs().forEach(s -> {
      names.add(s.id());
      names.addAll(s.aliases());
    });
    assertThat(names).doesNotHaveDuplicates();
  }

  @Test
  void rejectsBadArguments() {
    assertThatThrownBy(() -> SamplingJob.of("euler", 0, 4, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("steps must be >= 1, got 0");
    assertThatThrownBy(() -> SamplingJob.of("euler", 10, 0, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("n must be >= 1, got 0");
    assertThatThrownBy(() -> SamplingJob.of("rk5", 10, 4, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("unknown sampler 'rk5'; expected one of [euler, midpoint");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(RTOL, 0.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rtol must be a finite number > 0, got 0.0");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(ATOL, -1e-3))
        .hasMessage("atol must be a finite number > 0, got -0.001");
    assertThatThrownBy(() -> new TimeGrid(TimeGrid.Kind.KARRAS, 0, 1))
        .hasMessage("rho must be > 0, got 0.0");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.TIME_GRID, "cosine"))
        .hasMessage("unknown timeGrid 'cosine'; expected one of [uniform, karras, log-snr,"
            + " leading, trailing, linspace, exponential, polyexponential, sgm-uniform, simple,"
            + " ddim-uniform, normal, beta, beta-sigmas, linear-quadratic, kl-optimal, ays]");
    assertThatThrownBy(() -> Parameterization.fromId("noise"))
        .hasMessage("unknown parameterization 'noise'; expected one of"
            + " [velocity, epsilon, x0, v, score]");
  }

  @Test
  void rejectsLatentsOfTheWrongShape() {
    SamplingJob job = SamplingJob.of("euler", 4, 4, 1).withLatents(new float[4 * 3]);
    assertThatThrownBy(() -> Engine.run(Engine.flowModel(), job, manager))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("latents hold 12 values, expected 8 for shape (4, 2)");
  }

  /** Each declared range refuses its edge with its own words; types are checked too. */
  @Test
  void optionsAreCheckedAsDeclared() {
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(MAX_NFE, 0))
        .isInstanceOf(InvalidJobException.class).hasMessage("maxNfe must be >= 1, got 0");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.CLIP, 3.5e38))
        .hasMessage("clip must be > 0 and below 3.4e38 (it bounds float32 values), got 3.5E38");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.THRESHOLD, 1.0))
        .hasMessage("threshold must be in (0, 1), got 1.0");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.ETA, -0.5))
        .hasMessage("eta must be >= 0, got -0.5");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.SNR, Double.NaN))
        .hasMessage("snr must be a finite number > 0, got NaN");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(MAX_NFE, 1.5))
        .hasMessage("maxNfe must be an integer, got 1.5");
    for (int order : new int[] {0, 4}) {
      assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.SOLVER_ORDER, order))
          .hasMessage("solverOrder must be 1, 2 or 3, got " + order);
    }
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.SOLVER_ORDER, 2.0))
        .hasMessage("solverOrder must be an integer, got 2.0");
    assertThatThrownBy(() -> SamplerCatalog.spec("lms")
        .checkReads(java.util.Set.of(SamplerOption.SOLVER_ORDER)))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("sampler 'lms' does not read [solverOrder]; it reads "
            + SamplerCatalog.spec("lms").options());
    assertThat(SamplerOptions.DEFAULT.with(SamplerOption.THRESHOLD, 0.5).x0Guard())
        .isEqualTo(X0Guard.dynamic(0.5));
    assertThat(SamplerOptions.DEFAULT.with(SamplerOption.TIME_GRID, "karras").grid().kind())
        .isEqualTo(TimeGrid.Kind.KARRAS);
  }

  /** What keeps a request out of a merged run: any noise drawn after its start. */
  @Test
  void drawsNoiseWhereTheSamplerOrAnOptionAddsIt() {
    SamplerOptions none = SamplerOptions.DEFAULT;
    assertThat(SamplerCatalog.spec("ddim").drawsNoise(none)).isFalse();
    assertThat(SamplerCatalog.spec("ddim").drawsNoise(none.with(SamplerOption.ETA, 0.0))).isFalse();
    assertThat(SamplerCatalog.spec("ddim").drawsNoise(none.with(SamplerOption.ETA, 0.5))).isTrue();
    assertThat(SamplerCatalog.spec("edm-heun").drawsNoise(none.with(SamplerOption.CHURN, 1.0)))
        .isTrue();
    assertThat(SamplerCatalog.spec("edm-heun").drawsNoise(none.with(SamplerOption.CHURN_MIN, 1.0)))
        .isFalse();
    assertThat(SamplerCatalog.spec("ddpm").drawsNoise(none)).isTrue();
    assertThat(SamplerCatalog.spec("dpmpp-2m").drawsNoise(none)).isFalse();
  }

  @Test
  void rejectsLabelsAndGuidanceTheModelCannotUse() {
    assertThatThrownBy(() -> Engine.run(Engine.flowModel(),
        SamplingJob.of("euler", 4, 2, 1).withLabels(new int[] {0}, 1.0), manager))
        .hasMessage("the model is unconditional; it takes no labels");
    assertThatThrownBy(() -> Engine.run(Engine.flowModel(),
        SamplingJob.of("euler", 4, 2, 1).withLabels(null, 3.0), manager))
        .hasMessageStartingWith("guidance needs labels");
    Model conditional = new ComponentModel(Engine.MIXTURE, Engine.FLOW, null);
    assertThatThrownBy(() -> Engine.run(conditional,
        SamplingJob.of("euler", 4, 2, 1).withLabels(new int[] {0, 1, 2}, 1.0), manager))
        .hasMessage("labels must hold 1 or n=2 entries, got 3");
    assertThatThrownBy(() -> Engine.run(conditional,
        SamplingJob.of("euler", 4, 2, 1).withLabels(new int[] {3}, 1.0), manager))
        .hasMessage("label 3 is outside [0, 3)");
  }

  @Test
  void adaptiveSolverStopsAtItsBudget() {
    SamplerOptions strict = SamplerOptions.DEFAULT.with(RTOL, 1e-12).with(ATOL, 1e-12)
        .with(MAX_NFE, 60);
    SamplingJob job = SamplingJob.of("dopri5", 1, 8, 1).withOptions(strict)
        .withDataType(DataType.FLOAT64);
    assertThatThrownBy(() -> Engine.run(Engine.flowModel(), job, manager))
        .isInstanceOf(SamplingException.class)
        .hasMessageStartingWith("dopri5 needs more than maxNfe=60 network evaluations: 8 of 8"
            + " samples have not reached t=1.0");
  }

  @Test
  void adaptiveSolverStopsBelowItsMinimumStep() {
    SamplerOptions strict = SamplerOptions.DEFAULT.with(RTOL, 1e-12).with(ATOL, 1e-12)
        .with(MIN_STEP, 0.05);
    SamplingJob job = SamplingJob.of("bosh3", 1, 2, 1).withOptions(strict)
        .withDataType(DataType.FLOAT64);
    assertThatThrownBy(() -> Engine.run(Engine.flowModel(), job, manager))
        .isInstanceOf(SamplingException.class)
        .hasMessageContaining("bosh3 step size fell below minStep=0.0500");
  }

  @Test
  void nonFiniteStateNamesTheStep() {
    Model broken = velocityModel((x, time) -> time > 0.45 ? x.div(0) : x.neg());
    assertThatThrownBy(() -> Engine.run(broken, SamplingJob.of("euler", 10, 3, 1), manager))
        .isInstanceOf(SamplingException.class)
        .hasMessageStartingWith("euler produced non-finite values at step 6 (t=0.6");
  }

  /**
   * Non-finite velocities are no error an adaptive step can control: it shrinks to the resolution
   * of t and stops there, naming where, instead of spending maxNfe and advising to raise it.
   */
  @Test
  void adaptiveSolverStopsWhereTheVelocityIsNotFinite() {
    int[] calls = {0};
    Model singular = velocityModel((x, time) -> {
      calls[0]++;
      return time > 0.45 ? x.div(0) : x.neg();
    });
    assertThatThrownBy(() -> Engine.run(singular, SamplingJob.of("dopri5", 1, 1, 1)
        .withDataType(DataType.FLOAT64), manager))
        .isInstanceOf(SamplingException.class)
        .hasMessage("dopri5 met non-finite velocities just past t=0.450000 for sample 0, however"
            + " small the step; lower the guidance, enable the x0 clip, or check the latents");
    assertThat(calls[0]).isBetween(20, 1_000);

    calls[0] = 0;
    Model nowhereFinite = velocityModel((x, time) -> {
      calls[0]++;
      return x.mul(Double.NaN);
    });
    assertThatThrownBy(() -> Engine.run(nowhereFinite, SamplingJob.of("bosh3", 1, 2, 1),
        manager))
        .isInstanceOf(SamplingException.class)
        .hasMessageStartingWith("bosh3 met non-finite velocities just past t=0.00000 for sample");
    assertThat(calls[0]).isLessThan(100);
  }

  /** Finite values whose sum overflows float32 are still finite states. */
  @Test
  void largeFiniteStatesAreNotTakenForNonFiniteOnes() {
    Model still = velocityModel((x, time) -> x.mul(0));
    float[] latents = {3e38f, 3e38f, -3e38f, 1};
    SamplingResult result = Engine.run(still,
        SamplingJob.of("euler", 2, 2, 1).withLatents(latents), manager);
    assertThat(result.samples().toFloatArray()).containsExactly(3e38f, 3e38f, -3e38f, 1);
  }

  @Test
  void reportsExactNetworkEvaluations() {
    Model flow = Engine.flowModel();
    Model vp = Engine.vpModel();
    assertThat(Engine.run(flow, SamplingJob.of("rk4", 10, 2, 1), manager).nfe()).isEqualTo(40);
    assertThat(Engine.run(flow, SamplingJob.of("dpmpp-2m", 10, 2, 1), manager).nfe())
        .isEqualTo(10);
    // Heun corrects all but the first step (from pure noise) and the last (to sigma = 0).
    assertThat(Engine.run(flow, SamplingJob.of("edm-heun", 10, 2, 1), manager).nfe())
        .isEqualTo(18);
    // VP ends at sigma > 0, so one more evaluation jumps to the clean estimate.
    assertThat(Engine.run(vp, SamplingJob.of("euler", 10, 2, 1), manager).nfe()).isEqualTo(11);
    assertThat(Engine.run(vp, SamplingJob.of("pc-langevin", 10, 2, 1), manager).nfe())
        .isEqualTo(21);
    for (String multistep : new String[] {"lms", "ipndm", "deis", "res-multistep"}) {
      assertThat(Engine.run(flow, SamplingJob.of(multistep, 10, 2, 1), manager).nfe())
          .as(multistep).isEqualTo(10);
    }
  }

  /** A 2D flow velocity field of x and the first sample's time. */
  private static Model velocityModel(BiFunction<NDArray, Double, NDArray> velocity) {
    return new Model() {
      @Override public Parameterization parameterization() { return Parameterization.VELOCITY; }
      @Override public NoiseProcess process() { return Engine.FLOW; }
      @Override public Shape sampleShape() { return new Shape(2); }

      @Override
      public NDArray predict(NDArray x, NDArray t, int[] labels) {
        return velocity.apply(x, t.toType(DataType.FLOAT64, false).toDoubleArray()[0]);
      }
    };
  }

  /** A model whose scheduler prescribes options: a jitted shift and a dynamic threshold. */
  private static Model withDefaults(SamplerOptions defaults) {
    Model inner = new dev.streamline.sampler.analytic.GaussianMixtureModel(
        dev.streamline.sampler.analytic.GaussianMixture.standard2d(),
        new NoiseProcess.LinearInterpolant(), Parameterization.VELOCITY);
    return new Model() {
      @Override public Parameterization parameterization() { return inner.parameterization(); }
      @Override public NoiseProcess process() { return inner.process(); }
      @Override public Shape sampleShape() { return inner.sampleShape(); }
      @Override public SamplerOptions defaultOptions() { return defaults; }
      @Override public NDArray predict(NDArray x, NDArray t, int[] labels) {
        return inner.predict(x, t, labels);
      }
    };
  }

  @Test
  void aModelsDefaultOptionsApplyWhereTheJobSetsNoneAndTheSamplerReadsThem() {
    Model model = withDefaults(SamplerOptions.of(java.util.Map.of(
        SamplerOption.SHIFT, 3.0, SamplerOption.THRESHOLD, 0.9)));
    SamplingJob euler = SamplingJob.of("euler", 8, 1, 0).forModel(model);
    assertThat(euler.options().number(SamplerOption.SHIFT, 1)).isEqualTo(3.0);
    assertThat(euler.options().x0Guard()).isEqualTo(X0Guard.dynamic(0.9));
    SamplingJob own = SamplingJob.of("euler", 8, 1, 0)
        .withOptions(SamplerOptions.of(java.util.Map.of(SamplerOption.SHIFT, 2.0,
            SamplerOption.CLIP, 1.5)))
        .forModel(model);
    assertThat(own.options().number(SamplerOption.SHIFT, 1)).isEqualTo(2.0);
    assertThat(own.options().x0Guard()).isEqualTo(X0Guard.clip(1.5));
    SamplingJob adaptive = SamplingJob.of("dopri5", 8, 1, 0).forModel(model);
    assertThat(adaptive.options().given()).containsExactly(SamplerOption.THRESHOLD);
    // The shifted grid is the one the run walks: 8 euler steps, 8 evaluations, and a different
    // result from the unshifted run of the same latents.
    SamplingResult shifted = SamplingLoop.sample(model, SamplingJob.of("euler", 8, 4, 7),
        manager);
    SamplingResult plain = SamplingLoop.sample(model, SamplingJob.of("euler", 8, 4, 7)
        .withOptions(SamplerOptions.of(java.util.Map.of(SamplerOption.SHIFT, 1.0,
            SamplerOption.THRESHOLD, 0.9))), manager);
    SamplingResult same = SamplingLoop.sample(model, SamplingJob.of("euler", 8, 4, 7)
        .withOptions(SamplerOptions.of(java.util.Map.of(SamplerOption.SHIFT, 3.0,
            SamplerOption.THRESHOLD, 0.9))), manager);
    assertThat(shifted.nfe()).isEqualTo(8);
    assertThat(shifted.samples().toFloatArray()).containsExactly(same.samples().toFloatArray());
    assertThat(shifted.samples().sub(plain.samples()).abs().max().getFloat()).isGreaterThan(1e-3f);
  }

  /** A choice is one of its option's values, and one that the sampler takes. */
  @Test
  void choicesAreCheckedByOptionAndBySampler() {
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.NOISE, "uniform"))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("noise must be one of [gaussian, brownian-tree], got uniform");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.SOLVER_TYPE, 2))
        .hasMessage("solverType must be one of [midpoint, heun, bh1, bh2], got 2");
    SamplerOptions heun = SamplerOptions.DEFAULT.with(SamplerOption.SOLVER_TYPE, "heun");
    assertThatThrownBy(() -> SamplingJob.of("unipc", 8, 1, 0).withOptions(heun))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("sampler 'unipc' takes solverType [bh1, bh2], got 'heun'");
    assertThatThrownBy(() -> SamplingJob.of("dpmpp-2m-sde", 8, 1, 0).withOptions(
        SamplerOptions.DEFAULT.with(SamplerOption.SOLVER_TYPE, "bh1")))
        .hasMessage("sampler 'dpmpp-2m-sde' takes solverType [midpoint, heun], got 'bh1'");
    assertThat(SamplingJob.of("dpmpp-2m", 8, 1, 0).withOptions(heun).options()).isEqualTo(heun);
    assertThat(SamplerCatalog.spec("unipc").choices())
        .isEqualTo(java.util.Map.of("solverType", java.util.List.of("bh1", "bh2")));
    assertThat(SamplerCatalog.spec("dpmpp-2m-sde").choices().toString())
        .isEqualTo("{noise=[gaussian, brownian-tree], solverType=[midpoint, heun]}");
    assertThat(SamplerCatalog.spec("euler").choices()).isEmpty();
    assertThat(SamplerOption.SOLVER_TYPE.domain())
        .isEqualTo("midpoint, heun (dpmpp-2m, dpmpp-2m-sde); bh1, bh2 (unipc)");
    assertThat(SamplerOption.NOISE.domain()).isEqualTo("gaussian, brownian-tree");
  }

  /** A model's default choice reaches only the samplers that take it. */
  @Test
  void aModelsDefaultChoiceSkipsTheSamplersThatDoNotTakeIt() {
    Model model = withDefaults(SamplerOptions.DEFAULT.with(SamplerOption.SOLVER_TYPE, "heun"));
    assertThat(SamplingJob.of("dpmpp-2m", 8, 1, 0).forModel(model).options()
        .choice(SamplerOption.SOLVER_TYPE, "midpoint")).isEqualTo("heun");
    assertThat(SamplingJob.of("unipc", 8, 1, 0).forModel(model).options().given()).isEmpty();
  }

  @Test
  void aGridTheProcessCannotHoldIsRefusedWhenTheJobMeetsTheModel() {
    Model flow = withDefaults(SamplerOptions.DEFAULT);
    SamplingJob leading = SamplingJob.of("euler", 8, 1, 0).withOptions(
        SamplerOptions.of(java.util.Map.of(SamplerOption.TIME_GRID, TimeGrid.Kind.LEADING)));
    assertThatThrownBy(() -> leading.forModel(flow)).isInstanceOf(InvalidJobException.class)
        .hasMessage("time grid 'leading' steps on the timesteps of a discrete schedule; this"
            + " model's process is linear: use uniform, karras or log-snr");
  }

  private static SamplingJob with(String sampler, Map<SamplerOption, ?> options) {
    return SamplingJob.of(sampler, 8, 2, 0).withOptions(SamplerOptions.of(options));
  }

  private static void refused(SamplingJob job, Model model, String message) {
    assertThatThrownBy(() -> job.forModel(model)).isInstanceOf(InvalidJobException.class)
        .hasMessage(message);
  }

  /** Partial sampling's combinations, each refused with what to change. */
  @Test
  void partialSamplingChecksItsSteps() {
    Model flow = Engine.flowModel();
    float[] latents = new float[4];
    refused(with("euler", Map.of(SamplerOption.DENOISE, 0.5, SamplerOption.END_STEP, 4))
        .withLatents(latents), flow, "denoise chooses the steps itself (the last steps of a"
            + " longer schedule); give it or startStep/endStep, not both");
    refused(with("euler", Map.of(SamplerOption.END_STEP, 9)), flow,
        "endStep 9 is past the schedule's 8 steps");
    refused(with("euler", Map.of(SamplerOption.START_STEP, 5, SamplerOption.END_STEP, 5))
        .withLatents(latents), flow, "startStep 5 must be below endStep 5");
    refused(with("euler", Map.of(SamplerOption.START_STEP, 3)), flow, "a run from step 3 of 8"
        + " starts from latents as the state at that step; give them (to start from data, noise"
        + " it to that step's level first, alpha·x0 + sigma·z)");
    refused(with("euler", Map.of(SamplerOption.DENOISE, 0.5)), flow, "a run from step 8 of 16"
        + " starts from latents as the state at that step; give them (to start from data, noise"
        + " it to that step's level first, alpha·x0 + sigma·z)");
    refused(with("euler", Map.of(SamplerOption.DENOISE, 1e-6)), flow,
        "denoise 1.0E-6 asks for a schedule of 8000000 steps; at most 1000000");
    refused(with("dopri5", Map.of(SamplerOption.END_STEP, 4)), flow, "partial sampling runs"
        + " part of a fixed schedule; sampler 'dopri5' chooses its own steps");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.DENOISE, 0.0))
        .hasMessage("denoise must be in (0, 1], got 0.0");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.START_STEP, -1))
        .hasMessage("startStep must be >= 0, got -1");
    assertThat(with("euler", Map.of(SamplerOption.END_STEP, 3)).forModel(flow).span())
        .isEqualTo(new SamplingJob.Span(8, 0, 3));
  }

  /** The guidance options need guidance, and some pairs exclude each other. */
  @Test
  void guidanceOptionsNeedGuidance() {
    Model model = new ComponentModel(Engine.MIXTURE, Engine.FLOW, null);
    refused(with("euler", Map.of(SamplerOption.GUIDANCE_RESCALE, 0.7)), model,
        "[guidanceRescale] shape classifier-free guidance; give labels and a guidance scale"
            + " other than 1");
    refused(with("euler", Map.of(SamplerOption.APG_ETA, 0.0, SamplerOption.GUIDANCE_END, 0.5))
        .withLabels(new int[] {1}, 1.0), model, "[guidanceEnd, apgEta] shape classifier-free"
            + " guidance; give labels and a guidance scale other than 1");
    refused(with("euler", Map.of(SamplerOption.CFG_PLUS_PLUS, true)), model,
        "cfgPlusPlus contrasts the labelled prediction with the unconditional one; give labels");
    refused(with("euler", Map.of(SamplerOption.GUIDANCE_START, 0.6,
        SamplerOption.GUIDANCE_END, 0.6)).withLabels(new int[] {1}, 3.0), model,
        "guidanceStart must be below guidanceEnd");
    refused(with("euler", Map.of(SamplerOption.APG_MOMENTUM, 0.5,
        SamplerOption.GUIDANCE_RESCALE, 0.5)).withLabels(new int[] {1}, 3.0), model,
        "APG and guidanceRescale both reshape the guidance; choose one");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.GUIDANCE_RESCALE, 1.5))
        .hasMessage("guidanceRescale must be in [0, 1], got 1.5");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.APG_MOMENTUM, -1.0))
        .hasMessage("apgMomentum must be in (-1, 1), got -1.0");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.APG_ETA,
        Double.POSITIVE_INFINITY)).hasMessage("apgEta must be a finite number, got Infinity");
    // CFG++ at scale 1 is allowed: it still renoises with the unconditional estimate.
    assertThat(with("euler", Map.of(SamplerOption.CFG_PLUS_PLUS, true))
        .withLabels(new int[] {1}, 1.0).forModel(model).guidance()).isEqualTo(1.0);
  }

  /** What only sampling forwards means is refused by encode and likelihood, by name. */
  @Test
  void encodeAndLikelihoodRefuseSamplingOnlyOptions() {
    assertThatThrownBy(() -> with("euler", Map.of(SamplerOption.END_STEP, 4,
        SamplerOption.CFG_PLUS_PLUS, true)).forEncoding())
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("[cfgPlusPlus, endStep] belong to sampling (partial runs, CFG++'s renoising,"
            + " APG's momentum along the sampling order); encode runs the whole ODE backwards"
            + " without them");
    assertThatThrownBy(() -> with("heun", Map.of(SamplerOption.GUIDANCE_RESCALE, 0.5))
        .forLikelihood()).isInstanceOf(InvalidJobException.class)
        .hasMessage("[guidanceRescale] is not linear in the predictions, so the divergence of"
            + " its field is not the guided divergence; leave it out");
    assertThat(with("heun", Map.of(SamplerOption.GUIDANCE_START, 0.5)).forLikelihood())
        .isNotNull();
  }

  /** Lists and choices are checked as declared, and a list is the whole grid. */
  @Test
  void gridListsAndChoicesAreCheckedAsDeclared() {
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.SIGMAS,
            java.util.Arrays.asList(1.0, "x")))
        .isInstanceOf(InvalidJobException.class).hasMessage("sigmas[1] must be a finite number,"
            + " got x");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.TIMESTEPS,
            java.util.List.of(999.0, Double.POSITIVE_INFINITY)))
        .hasMessage("timesteps[1] must be a finite number, got Infinity");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.SIGMAS, 5.0))
        .hasMessage("sigmas must be an array of numbers, got 5.0");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.AYS_MODEL, "sd3"))
        .hasMessage("unknown aysModel 'sd3'; expected one of [sd1, sdxl, svd]");
    assertThatThrownBy(() -> SamplerOptions.DEFAULT.with(SamplerOption.BETA_ALPHA, 0.0))
        .hasMessage("betaAlpha must be a finite number > 0, got 0.0");
    SamplerOptions sigmas = SamplerOptions.DEFAULT.with(SamplerOption.SIGMAS,
        java.util.List.of(1.0, 0.5));
    assertThatThrownBy(() -> sigmas.with(SamplerOption.TIMESTEPS, java.util.List.of(0.0)))
        .hasMessage("sigmas and timesteps both lay out the steps; give one");
    assertThatThrownBy(() -> sigmas.with(SamplerOption.TIME_GRID, "karras"))
        .hasMessage("sigmas are the grid itself; they take no timeGrid, rho, shift, betaAlpha,"
            + " betaBeta or aysModel");
    assertThatThrownBy(() -> sigmas.with(SamplerOption.SHIFT, 3.0))
        .hasMessage("sigmas are the grid itself; they take no timeGrid, rho, shift, betaAlpha,"
            + " betaBeta or aysModel");
  }

  /**
   * A model's grid comes with its knobs: a job that names another grid takes none of them (so
   * the model's rho is not refused by the job's uniform grid), and a job's list takes no grid
   * default at all, its shift included.
   */
  @Test
  void aModelsGridKnobsStayWithItsGrid() {
    Model model = withDefaults(SamplerOptions.of(java.util.Map.of(SamplerOption.TIME_GRID,
        TimeGrid.Kind.KARRAS, SamplerOption.RHO, 5.0, SamplerOption.SHIFT, 3.0)));
    SamplingJob uniform = SamplingJob.of("euler", 4, 1, 0).withOptions(SamplerOptions.of(
        java.util.Map.of(SamplerOption.TIME_GRID, TimeGrid.Kind.UNIFORM))).forModel(model);
    assertThat(uniform.options().given()).containsExactly(SamplerOption.TIME_GRID,
        SamplerOption.SHIFT);
    SamplingJob karras = SamplingJob.of("euler", 4, 1, 0).withOptions(SamplerOptions.of(
        java.util.Map.of(SamplerOption.TIME_GRID, TimeGrid.Kind.KARRAS))).forModel(model);
    assertThat(karras.options().number(SamplerOption.RHO, 7)).isEqualTo(5.0);
    SamplingJob listed = SamplingJob.of("euler", 2, 1, 0).withOptions(SamplerOptions.of(
        java.util.Map.of(SamplerOption.TIMESTEPS, java.util.List.of(0.0, 0.5)))).forModel(model);
    assertThat(listed.options().given()).containsExactly(SamplerOption.TIMESTEPS);
    assertThatThrownBy(() -> SamplingJob.of("euler", 3, 1, 0).withOptions(SamplerOptions.of(
        java.util.Map.of(SamplerOption.TIMESTEPS, java.util.List.of(0.0, 0.5)))).forModel(model))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("timesteps define 2 steps (one per value before the data end) and steps is"
            + " 3: leave steps out or make it 2");
  }

  /** The run walks the list: the uniform grid given as sigmas gives the uniform run bitwise. */
  @Test
  void aListedGridRunsAsTheGridItLists() {
    Model model = withDefaults(SamplerOptions.DEFAULT);
    SamplingResult uniform = SamplingLoop.sample(model, SamplingJob.of("heun", 4, 8, 3), manager);
    SamplingResult listed = SamplingLoop.sample(model, SamplingJob.of("heun", 4, 8, 3)
        .withOptions(SamplerOptions.DEFAULT.with(SamplerOption.SIGMAS,
            java.util.List.of(1.0, 0.75, 0.5, 0.25, 0.0))), manager);
    assertThat(listed.nfe()).isEqualTo(uniform.nfe());
    assertThat(listed.samples().toFloatArray()).containsExactly(uniform.samples().toFloatArray());
  }
}
