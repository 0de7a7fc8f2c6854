package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Classifier-free guidance on an exact class-conditional model. */
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
}
