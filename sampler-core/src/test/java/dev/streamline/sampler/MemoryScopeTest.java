package dev.streamline.sampler;

import static dev.streamline.sampler.SamplerOption.ATOL;
import static dev.streamline.sampler.SamplerOption.RTOL;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A long run holds a constant number of arrays: every step's intermediates die with its scope.
 * The observer sees the run's manager (the parent of each step's scope) after every step.
 */
class MemoryScopeTest {

  private static List<Integer> liveArraysPerStep(String sampler, int steps) {
    return liveArraysPerStep(sampler, steps, SamplerOptions.DEFAULT);
  }

  private static List<Integer> liveArraysPerStep(String sampler, int steps,
      SamplerOptions options) {
    List<Integer> counts = new ArrayList<>();
    StepObserver counter = (step, times, x, rows) ->
        counts.add(x.getManager().getParentManager().getManagedArrays().size());
    try (NDManager manager = Engine.manager()) {
      SamplingJob job = SamplingJob.of(sampler, steps, 32, 1).withOptions(options);
      Model model = Engine.vpModel();
      try (NDManager run = manager.newSubManager()) {
        SamplingLoop loop = new SamplingLoop(model, job, run, List.of(counter));
        SamplerCatalog.method(sampler).run(loop,
            run.randomNormal(new ai.djl.ndarray.types.Shape(32, 2)));
      }
    }
    return counts;
  }

  @Test
  void aThousandStepsDoNotGrowTheRun() {
    for (String sampler : new String[] {"euler", "dpmpp-2m", "pc-langevin", "edm-heun", "lms",
        "deis"}) {
      List<Integer> counts = liveArraysPerStep(sampler, 1000);
      assertThat(counts).as(sampler).hasSize(1000);
      assertThat(counts.get(500)).as(sampler).isEqualTo(counts.get(10));
      assertThat(counts.stream().mapToInt(Integer::intValue).max().getAsInt()).as(sampler)
          .isLessThanOrEqualTo(counts.get(10));
    }
  }

  @Test
  void adaptiveRunGrowsOnlyByTheSamplesItHasFinished() {
    SamplerOptions tight = SamplerOptions.DEFAULT.with(RTOL, 1e-7).with(ATOL, 1e-7);
    List<Integer> counts = liveArraysPerStep("dopri5", 1, tight);
    assertThat(counts.size()).isGreaterThan(40);
    // Each finished block of samples is kept until the end; at most one block per sample.
    assertThat(counts.get(counts.size() - 1)).isLessThanOrEqualTo(counts.get(2) + 32);
  }
}
