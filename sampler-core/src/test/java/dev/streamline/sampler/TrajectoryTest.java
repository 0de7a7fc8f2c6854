package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrajectoryTest {

  @Test
  void recordsTheStartAndEveryStep() {
    try (NDManager manager = Engine.manager()) {
      SamplingJob job = SamplingJob.of("euler", 4, 3, 8).withTrajectory(true);
      SamplingResult result = Engine.run(Engine.flowModel(), job, manager);
      List<Trajectory.Frame> frames = result.trajectory();
      assertThat(frames).hasSize(5);
      assertThat(frames.stream().map(f -> f.times()[2]).toList())
          .containsExactly(0.0, 0.25, 0.5, 0.75, 1.0);
      float[] last = result.samples().toFloatArray();
      for (int i = 0; i < 3; i++) {
        assertThat(frames.get(4).samples()[i][0]).isCloseTo(last[2 * i], within(1e-6f));
        assertThat(frames.get(4).samples()[i][1]).isCloseTo(last[2 * i + 1], within(1e-6f));
      }
      // Frame 0 is the seeded start: unit noise, as the same job without recording draws it.
      SamplingJob plain = SamplingJob.of("euler", 1, 3, 8).withTrajectory(true);
      assertThat(Engine.run(Engine.flowModel(), plain, manager).trajectory().get(0).samples()[1])
          .containsExactly(frames.get(0).samples()[1]);
    }
  }

  @Test
  void adaptiveFramesKeepFinishedSamplesAtTheirEnd() {
    try (NDManager manager = Engine.manager()) {
      SamplingJob job = SamplingJob.of("bosh3", 1, 4, 8).withTrajectory(true);
      List<Trajectory.Frame> frames = Engine.run(Engine.flowModel(), job, manager).trajectory();
      Trajectory.Frame last = frames.get(frames.size() - 1);
      assertThat(last.times()).containsOnly(1.0);
      assertThat(frames.size()).isGreaterThan(5);
      for (int i = 1; i < frames.size(); i++) {
        for (int s = 0; s < 4; s++) {
          assertThat(frames.get(i).times()[s]).isGreaterThanOrEqualTo(frames.get(i - 1).times()[s]);
        }
      }
    }
  }
}
