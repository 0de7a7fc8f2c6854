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
    assertThatThrownBy(() -> TimeGrid.Kind.fromId("cosine"))
        .hasMessage("unknown time grid 'cosine'; expected one of [uniform, karras, log-snr,"
            + " leading, trailing, linspace, exponential, polyexponential, sgm-uniform, simple, ddim-uniform, normal, beta, linear-quadratic,"
            + " kl-optimal]");
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

  @Test
  void aGridTheProcessCannotHoldIsRefusedWhenTheJobMeetsTheModel() {
    Model flow = withDefaults(SamplerOptions.DEFAULT);
    SamplingJob leading = SamplingJob.of("euler", 8, 1, 0).withOptions(
        SamplerOptions.of(java.util.Map.of(SamplerOption.TIME_GRID, TimeGrid.Kind.LEADING)));
    assertThatThrownBy(() -> leading.forModel(flow)).isInstanceOf(InvalidJobException.class)
        .hasMessage("time grid 'leading' steps on the timesteps of a discrete schedule; this"
            + " model's process is linear: use uniform, karras or log-snr");
  }
}
