package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Classifier-free guidance on an exact class-conditional model, and its variants: Lin et al.'s
 * rescale, the guidance interval, APG and CFG++.
 */
class GuidanceTest extends ManagedTest {

  private static double fractionOf(int label, double[][] samples) {
    return java.util.Arrays.stream(samples)
        .filter(x -> Engine.MIXTURE.classify(x) == label).count() / (double) samples.length;
  }

  @Test
  void guidedSamplesComeFromTheRequestedClassInOneCallPerStep() {
    List<Long> calls = new ArrayList<>();
    Model model = new ComponentModel(Engine.MIXTURE, Engine.FLOW, calls);
    SamplingJob job = SamplingJob.of("heun", 10, 50, 3)
        .withLabels(new int[] {2}, 2.0);
    SamplingResult result = Engine.run(model, job, manager);

    assertThat(fractionOf(2, Engine.rows(result.samples()))).isGreaterThan(0.98);
    assertThat(result.nfe()).isEqualTo(20);
    assertThat(calls).hasSize(20).allMatch(size -> size == 100L);
  }

  @Test
  void scaleOneIsThePlainConditionalAndZeroThePlainUnconditional() {
    List<Long> calls = new ArrayList<>();
    Model model = new ComponentModel(Engine.MIXTURE, Engine.FLOW, calls);
    SamplingJob conditional = SamplingJob.of("euler", 20, 400, 3)
        .withLabels(new int[] {1}, 1.0);
    double[][] samples = Engine.rows(Engine.run(model, conditional, manager).samples());
    assertThat(fractionOf(1, samples)).isGreaterThan(0.98);
    assertThat(calls).allMatch(size -> size == 400L);

    SamplingJob unconditional = SamplingJob.of("euler", 20, 2000, 3)
        .withLabels(new int[] {1}, 0.0);
    double share = fractionOf(1, Engine.rows(Engine.run(model, unconditional, manager).samples()));
    // The mixture weight of component 1 is 0.3; 2000 samples give a standard error of 0.01.
    assertThat(share).isBetween(0.26, 0.34);
  }

  private static SamplingJob guided(String sampler, int steps, int n, double scale,
      Map<SamplerOption, ?> options) {
    return SamplingJob.of(sampler, steps, n, 3).withDataType(DataType.FLOAT64)
        .withLabels(new int[] {1}, scale).withOptions(SamplerOptions.of(options));
  }

  private static float[] flat(NDArray x) {
    return x.toType(DataType.FLOAT32, false).toFloatArray();
  }

  @Test
  void rescaleZeroIsPlainGuidanceBitwise() {
    Model model = new ComponentModel(Engine.MIXTURE, Engine.FLOW, null);
    NDArray plain = Engine.run(model, guided("heun", 8, 64, 3.0, Map.of()), manager).samples();
    NDArray zero = Engine.run(model, guided("heun", 8, 64, 3.0,
        Map.of(SamplerOption.GUIDANCE_RESCALE, 0.0)), manager).samples();
    assertThat(zero.toDoubleArray()).isEqualTo(plain.toDoubleArray());
    NDArray half = Engine.run(model, guided("heun", 8, 64, 3.0,
        Map.of(SamplerOption.GUIDANCE_RESCALE, 0.5)), manager).samples();
    assertThat(Engine.maxError(half, plain)).isGreaterThan(1e-3);
  }

  /**
   * Lin et al.'s rule on one evaluation, computed here from the two predictions on the host:
   * g = u + w(c − u), then g·(phi·std(c)/std(g) + 1 − phi) per sample; at phi = 1 the guided
   * prediction has the conditional one's standard deviation.
   */
  @Test
  void rescaleMatchesTheConditionalSpreadPerSample() {
    Model model = new ComponentModel(Engine.MIXTURE, Engine.FLOW, null);
    NDArray x = Engine.latents(manager, 32, 5).mul(0.8);
    double t = 0.4;
    int[] labels = new int[32];
    Arrays.fill(labels, 1);
    int[] none = new int[32];
    Arrays.fill(none, Model.NULL_LABEL);
    NDArray times = manager.full(new Shape(32), (float) t).toType(DataType.FLOAT64, false);
    double[][] c = Engine.rows(model.predict(x, times, labels));
    double[][] u = Engine.rows(model.predict(x, times, none));
    double w = 4.0;
    for (double phi : new double[] {1.0, 0.3}) {
      SamplingJob job = guided("euler", 10, 32, w, Map.of(SamplerOption.GUIDANCE_RESCALE, phi));
      Denoiser denoiser = new Denoiser(model, labels, Guidance.of(job, manager), X0Guard.NONE,
          null);
      double[][] got = Engine.rows(denoiser.velocity(x, times.toDoubleArray(), null));
      for (int i = 0; i < 32; i++) {
        double[] g = {u[i][0] + w * (c[i][0] - u[i][0]), u[i][1] + w * (c[i][1] - u[i][1])};
        // The standard deviation of two entries is half their distance.
        double ratio = Math.abs(c[i][0] - c[i][1]) / Math.abs(g[0] - g[1]);
        double factor = phi * ratio + 1 - phi;
        assertThat(got[i][0]).isCloseTo(g[0] * factor, within(1e-12));
        assertThat(got[i][1]).isCloseTo(g[1] * factor, within(1e-12));
        if (phi == 1.0) {
          assertThat(Math.abs(got[i][0] - got[i][1]) / 2)
              .isCloseTo(Math.abs(c[i][0] - c[i][1]) / 2, within(1e-12));
        }
      }
    }
  }

  /**
   * Guidance on steps int(0.2·10) = 2 to int(0.7·10) = 7 only, as diffusers' guiders count: those
   * five steps evaluate 2n rows in each call, the other five the n conditional rows alone. NFE
   * counts network calls, a guided one being one call of both halves.
   */
  @Test
  void intervalGuidesOnlyItsStepsAndTheOthersEvaluateOnce() {
    List<Long> calls = new ArrayList<>();
    Model model = new ComponentModel(Engine.MIXTURE, Engine.FLOW, calls);
    SamplingResult result = Engine.run(model, guided("heun", 10, 50, 3.0,
        Map.of(SamplerOption.GUIDANCE_START, 0.2, SamplerOption.GUIDANCE_END, 0.7)), manager);
    List<Long> expected = new ArrayList<>();
    for (int step = 0; step < 10; step++) {
      expected.addAll(Collections.nCopies(2, step >= 2 && step < 7 ? 100L : 50L));
    }
    assertThat(calls).isEqualTo(expected);
    assertThat(result.nfe()).isEqualTo(20);
    assertThat(calls.stream().mapToLong(Long::longValue).sum()).isEqualTo(1500);

    NDArray whole = Engine.run(model, guided("heun", 10, 50, 3.0, Map.of()), manager).samples();
    NDArray fullInterval = Engine.run(model, guided("heun", 10, 50, 3.0,
        Map.of(SamplerOption.GUIDANCE_START, 0.0, SamplerOption.GUIDANCE_END, 1.0)), manager)
        .samples();
    assertThat(fullInterval.toDoubleArray()).isEqualTo(whole.toDoubleArray());
    assertThat(Engine.maxError(result.samples(), whole)).isGreaterThan(1e-3);
  }

  /** On VP the closing jump to the clean estimate is guided as the last step is. */
  @Test
  void closingJumpFollowsTheLastStep() {
    List<Long> calls = new ArrayList<>();
    Model model = new ComponentModel(Engine.MIXTURE, Engine.VP, calls);
    SamplingResult result = Engine.run(model, guided("ddim", 4, 8, 2.0,
        Map.of(SamplerOption.GUIDANCE_START, 0.5)), manager);
    assertThat(calls).containsExactly(8L, 8L, 16L, 16L, 16L);
    assertThat(result.nfe()).isEqualTo(5);
  }

  /** APG with eta = 1 and neither momentum nor a threshold is CFG: Δ∥ + Δ⊥ = Δ. */
  @Test
  void apgWithTheWholeParallelPartIsGuidance() {
    Model model = new ComponentModel(Engine.MIXTURE, Engine.FLOW, null);
    NDArray cfg = Engine.run(model, guided("dpmpp-2m", 12, 64, 3.0, Map.of()), manager)
        .samples();
    NDArray apg = Engine.run(model, guided("dpmpp-2m", 12, 64, 3.0,
        Map.of(SamplerOption.APG_ETA, 1.0)), manager).samples();
    assertThat(Engine.maxError(apg, cfg)).isLessThan(1e-12);
    NDArray projected = Engine.run(model, guided("dpmpp-2m", 12, 64, 3.0,
        Map.of(SamplerOption.APG_ETA, 0.0)), manager).samples();
    assertThat(Engine.maxError(projected, cfg)).isGreaterThan(1e-3);
  }

  private double[] apg(Map<SamplerOption, ?> options, double scale, double[]... pairs) {
    Guidance guidance = Guidance.of(guided("euler", 10, 1, scale, options), manager);
    double[] out = null;
    for (int i = 0; i < pairs.length; i += 2) {
      NDArray c = manager.create(pairs[i], new Shape(1, 2));
      NDArray u = manager.create(pairs[i + 1], new Shape(1, 2));
      out = guidance.projectedX0(c, u).toDoubleArray();
    }
    return out;
  }

  /**
   * By hand: c = (3, 4), u = (1, 0), so Δ = (2, 4); c/|c| = (0.6, 0.8), Δ·c/|c| = 4.4, so
   * Δ∥ = (2.64, 3.52) and Δ⊥ = (−0.64, 0.48), orthogonal to c. At w = 2: eta 0 gives
   * u + 2Δ⊥ = (−0.28, 0.96), eta 0.5 gives u + 2(Δ⊥ + Δ∥/2) = (2.36, 4.48); a norm threshold of
   * 1 divides Δ by |Δ| = √20 first; momentum 0.5 then a second evaluation with Δ' = (1, 1)
   * guides with (1, 1) + 0.5·(2, 4) = (2, 3).
   */
  @Test
  void apgRemovesTheParallelComponentExactly() {
    double[] c = {3, 4};
    double[] u = {1, 0};
    assertThat(apg(Map.of(SamplerOption.APG_ETA, 0.0), 2, c, u))
        .containsExactly(new double[] {-0.28, 0.96}, within(1e-12));
    assertThat(apg(Map.of(SamplerOption.APG_ETA, 0.5), 2, c, u))
        .containsExactly(new double[] {2.36, 4.48}, within(1e-12));
    double root = Math.sqrt(20);
    assertThat(apg(Map.of(SamplerOption.APG_NORM_THRESHOLD, 1.0), 2, c, u))
        .containsExactly(new double[] {1 - 1.28 / root, 0.96 / root}, within(1e-12));
    assertThat(apg(Map.of(SamplerOption.APG_NORM_THRESHOLD, 5.0), 2, c, u))
        .containsExactly(new double[] {-0.28, 0.96}, within(1e-12));
    assertThat(apg(Map.of(SamplerOption.APG_ETA, 1.0, SamplerOption.APG_MOMENTUM, 0.5), 1,
        c, u, new double[] {1, 1}, new double[] {0, 0}))
        .containsExactly(new double[] {2, 3}, within(1e-12));
  }

  /**
   * CFG++ at scale 0 is the plain sampler on the unconditional model: the guided x0 is then the
   * unconditional one, and so is the eps it renoises with.
   */
  @Test
  void cfgPlusPlusAtZeroIsThePlainUnconditionalSampler() {
    for (NoiseProcess process : List.of(Engine.FLOW, Engine.VP)) {
      Model model = new ComponentModel(Engine.MIXTURE, process, null);
      List<String> samplers = process == Engine.FLOW
          ? List.of("euler", "ddim", "euler-ancestral", "dpmpp-2m", "dpmpp-2s-ancestral")
          : List.of("ddim", "euler-ancestral", "dpmpp-2m", "dpmpp-2s-ancestral");
      for (String sampler : samplers) {
        NDArray plusPlus = Engine.run(model, guided(sampler, 12, 64, 0.0,
            Map.of(SamplerOption.CFG_PLUS_PLUS, true)), manager).samples();
        SamplingJob unconditional = SamplingJob.of(sampler, 12, 64, 3)
            .withDataType(DataType.FLOAT64).withLabels(new int[] {Model.NULL_LABEL}, 1.0);
        NDArray plain = Engine.run(model, unconditional, manager).samples();
        assertThat(Engine.maxError(plusPlus, plain)).as(sampler).isLessThan(1e-12);
      }
    }
  }

  /**
   * One Euler step of CFG++ from t = 0.25 to 0.5 on the flow: alpha_s·x0_g + sigma_s·eps_u,
   * where CFG's is alpha_s·x0_g + sigma_s·eps_g; they differ by sigma_s·w·(eps_u − eps_c). The
   * estimates are the model's own, made here without guidance. At w = 1 CFG++ still renoises
   * with eps_u, as ComfyUI's (which computes the unconditional half at cfg 1 for it).
   */
  @Test
  void cfgPlusPlusEulerStepIsTheGuidedX0WithTheUnconditionalEps() {
    List<Long> calls = new ArrayList<>();
    Model model = new ComponentModel(Engine.MIXTURE, Engine.FLOW, calls);
    int n = 16;
    NDArray x = Engine.latents(manager, n, 9).mul(0.75);
    float[] start = flat(x);
    x = manager.create(start, new Shape(n, 2)).toType(DataType.FLOAT64, false);
    int[] conditional = new int[n];
    Arrays.fill(conditional, 1);
    int[] none = new int[n];
    Arrays.fill(none, Model.NULL_LABEL);
    Estimate c = new Denoiser(model, conditional, 1.0, X0Guard.NONE).estimate(x, 0.25);
    Estimate u = new Denoiser(model, none, 1.0, X0Guard.NONE).estimate(x, 0.25);
    for (double w : new double[] {1.0, 2.5}) {
      Map<SamplerOption, Object> partial = Map.of(SamplerOption.START_STEP, 1,
          SamplerOption.END_STEP, 2);
      Map<SamplerOption, Object> plusPlusOptions = new java.util.HashMap<>(partial);
      plusPlusOptions.put(SamplerOption.CFG_PLUS_PLUS, true);
      calls.clear();
      NDArray plusPlus = Engine.run(model, guided("euler", 4, n, w, plusPlusOptions)
          .withLatents(start), manager).samples();
      assertThat(calls).containsExactly(2L * n);
      NDArray x0 = u.x0().add(c.x0().sub(u.x0()).mul(w));
      NDArray expected = x0.mul(0.5).add(u.eps().mul(0.5));
      assertThat(Engine.maxError(plusPlus, expected)).isLessThan(1e-12);
      NDArray cfg = Engine.run(model, guided("euler", 4, n, w, partial).withLatents(start),
          manager).samples();
      NDArray difference = u.eps().sub(c.eps()).mul(0.5 * w);
      assertThat(Engine.maxError(plusPlus.sub(cfg), difference)).isLessThan(1e-12);
      assertThat(difference.abs().max().getDouble()).isGreaterThan(1e-2);
    }
  }

  /** dpmpp-2s-ancestral's CFG++ makes its midpoint evaluation of the unconditional rows alone. */
  @Test
  void cfgPlusPlusTwoStageEvaluatesTheMidpointUnconditionally() {
    List<Long> calls = new ArrayList<>();
    Model model = new ComponentModel(Engine.MIXTURE, Engine.VP, calls);
    SamplingResult result = Engine.run(model, guided("dpmpp-2s-ancestral", 3, 8, 2.0,
        Map.of(SamplerOption.CFG_PLUS_PLUS, true, SamplerOption.ETA, 0.0)), manager);
    assertThat(result.nfe()).isEqualTo(7);
    assertThat(calls).containsExactly(16L, 8L, 16L, 8L, 16L, 8L, 16L);
  }
}
