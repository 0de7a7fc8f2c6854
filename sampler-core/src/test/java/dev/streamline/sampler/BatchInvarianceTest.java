package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sample i is the same whether it is drawn alone, in a batch of 7 or in a batch of 64, for every
 * sampler.
 */
class BatchInvarianceTest extends ManagedTest {

  private NDArray sample(String sampler, int n, long seed, Model model, SamplerOptions options) {
    SamplingJob job = SamplingJob.of(sampler, 20, n, seed).withOptions(options);
    return Engine.run(model, job, manager).samples();
  }

  private NDArray sample(String sampler, int n, long seed, Model model) {
    return sample(sampler, n, seed, model, SamplerOptions.DEFAULT);
  }

  /** Every sampler in the catalog: a new one is held to this without being listed here. */
  static Stream<String> samplers() {
    return SamplerCatalog.specs().stream().map(SamplerSpec::id);
  }

  /** Every sampler that takes the noise option. */
  static Stream<String> noiseReaders() {
    return SamplerCatalog.specs().stream()
        .filter(s -> s.options().contains(SamplerOption.NOISE.id())).map(SamplerSpec::id);
  }

  @ParameterizedTest
  @MethodSource("samplers")
  void sampleDoesNotDependOnItsBatch(String sampler) {
    // The general ODE solvers on the flow, the diffusion samplers on the process they come from.
    Model model = SamplerCatalog.spec(sampler).likelihood() ? Engine.flowModel() : Engine.vpModel();
    assertBatchInvariant(sampler, model, SamplerOptions.DEFAULT);
  }

  @ParameterizedTest
  @MethodSource("noiseReaders")
  void brownianTreeNoiseDoesNotDependOnItsBatch(String sampler) {
    // ddim draws noise only with eta > 0.
    assertBatchInvariant(sampler, Engine.vpModel(), SamplerOptions.DEFAULT
        .with(SamplerOption.NOISE, "brownian-tree").with(SamplerOption.ETA,
            SamplerCatalog.spec(sampler).options().contains("eta") ? 1.0 : null));
  }

  private void assertBatchInvariant(String sampler, Model model, SamplerOptions options) {
    NDArray big = sample(sampler, 64, 100, model, options);
    NDArray seven = sample(sampler, 7, 100, model, options);
    for (int i : new int[] {0, 3, 6}) {
      NDArray alone = sample(sampler, 1, 100 + i, model, options);
      assertThat(Engine.maxError(alone.get(0), big.get(i))).isLessThan(1e-5);
      assertThat(Engine.maxError(seven.get(i), big.get(i))).isLessThan(1e-5);
    }
    // Sample 6 of a batch seeded 100 is sample 0 of a batch seeded 106.
    assertThat(Engine.maxError(sample(sampler, 3, 106, model, options).get(0), big.get(6)))
        .isLessThan(1e-5);
    // ...and different seeds give different samples.
    assertThat(Engine.maxError(big.get(0), big.get(1))).isGreaterThan(1e-2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ddpm", "euler"})
  void sameSeedSameSamplesOnEveryRun(String sampler) {
    NDArray first = sample(sampler, 16, 5, Engine.vpModel());
    NDArray second = sample(sampler, 16, 5, Engine.vpModel());
    assertThat(Engine.maxError(first, second)).isZero();
  }

  /**
   * The guidance variants act per sample (rescale by its own spreads, APG by its own norms and
   * running sum, CFG++ by its own estimates): a guided sample is the same alone or in a batch.
   */
  @Test
  void guidedVariantsAreOnePerSample() {
    Model model = new ComponentModel(Engine.MIXTURE, Engine.VP, null);
    List<Map<SamplerOption, Object>> variants = List.of(
        Map.of(SamplerOption.GUIDANCE_RESCALE, 0.7),
        Map.of(SamplerOption.APG_ETA, 0.0, SamplerOption.APG_MOMENTUM, -0.5,
            SamplerOption.APG_NORM_THRESHOLD, 0.5),
        Map.of(SamplerOption.CFG_PLUS_PLUS, true));
    for (Map<SamplerOption, Object> options : variants) {
      int[] labels = new int[16];
      java.util.Arrays.setAll(labels, i -> i % 3);
      NDArray big = Engine.run(model, SamplingJob.of("euler-ancestral", 12, 16, 100)
          .withLabels(labels, 2.5).withOptions(SamplerOptions.of(options)), manager).samples();
      for (int i : new int[] {0, 4, 11}) {
        NDArray alone = Engine.run(model, SamplingJob.of("euler-ancestral", 12, 1, 100 + i)
            .withLabels(new int[] {labels[i]}, 2.5).withOptions(SamplerOptions.of(options)),
            manager).samples();
        assertThat(Engine.maxError(alone.get(0), big.get(i))).as(options.toString())
            .isLessThan(1e-5);
      }
    }
  }
}
