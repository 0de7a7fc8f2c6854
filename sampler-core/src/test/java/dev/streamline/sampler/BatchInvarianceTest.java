package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sample i is the same whether it is drawn alone, in a batch of 7 or in a batch of 64, for every
 * sampler.
 */
class BatchInvarianceTest extends ManagedTest {

  private NDArray sample(String sampler, int n, long seed, Model model) {
    SamplingJob job = SamplingJob.of(sampler, 20, n, seed);
    return Engine.run(model, job, manager).samples();
  }

  /** Every sampler in the catalog: a new one is held to this without being listed here. */
  static Stream<String> samplers() {
    return SamplerCatalog.specs().stream().map(SamplerSpec::id);
  }

  @ParameterizedTest
  @MethodSource("samplers")
  void sampleDoesNotDependOnItsBatch(String sampler) {
    // The general ODE solvers on the flow, the diffusion samplers on the process they come from.
    Model model = SamplerCatalog.spec(sampler).likelihood() ? Engine.flowModel() : Engine.vpModel();
    NDArray big = sample(sampler, 64, 100, model);
    NDArray seven = sample(sampler, 7, 100, model);
    for (int i : new int[] {0, 3, 6}) {
      NDArray alone = sample(sampler, 1, 100 + i, model);
      assertThat(Engine.maxError(alone.get(0), big.get(i))).isLessThan(1e-5);
      assertThat(Engine.maxError(seven.get(i), big.get(i))).isLessThan(1e-5);
    }
    // Sample 6 of a batch seeded 100 is sample 0 of a batch seeded 106.
    assertThat(Engine.maxError(sample(sampler, 3, 106, model).get(0), big.get(6))).isLessThan(1e-5);
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
}
