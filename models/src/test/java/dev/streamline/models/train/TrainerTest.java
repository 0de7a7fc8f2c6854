package dev.streamline.models.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.streamline.models.data.TwoDimensionalDataset;
import dev.streamline.models.metrics.EnergyDistance;
import dev.streamline.models.metrics.Samples;
import dev.streamline.models.store.ModelStore;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SamplingLoop;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A few hundred steps on two moons must lower the loss and move samples toward the data. */
class TrainerTest {

  static Trainer.Config config(Objective objective, int steps) {
    return Trainer.Config.points("moons-test", TwoDimensionalDataset.MOONS, objective, steps, 128,
        3e-3, 20, 7, 64, 3, 16, "heun", 16);
  }

  private static double energyToData(Path dir, String sampler, int steps) {
    try (NDManager manager = NDManager.newBaseManager()) {
      ModelStore.Loaded loaded = ModelStore.load(dir, manager);
      NDArray samples = SamplingLoop.sample(loaded.model(), SamplingJob.of(sampler, steps, 600, 5),
          manager).samples();
      return EnergyDistance.of(Samples.rows(samples), TwoDimensionalDataset.MOONS.sample(600, 99));
    }
  }

  @Test
  void flowMatchingLearnsTheMoons(@TempDir Path tmp) {
    Path early = tmp.resolve("early");
    Path late = tmp.resolve("late");
    Trainer.train(config(Objective.CFM, 20), early, "test", null);
    Trainer.Result result = Trainer.train(config(Objective.CFM, 400), late, "test", null);

    double[] losses = result.losses();
    double first = Arrays.stream(losses, 0, 20).average().orElseThrow();
    double last = Arrays.stream(losses, 380, 400).average().orElseThrow();
    assertThat(last).isLessThan(0.7 * first);
    assertThat(energyToData(late, "heun", 16)).isLessThan(0.5 * energyToData(early, "heun", 16));
    assertThat(result.manifest().training().steps()).isEqualTo(400);
    assertThat(result.manifest().training().finalLoss()).isCloseTo(
        Arrays.stream(losses, 300, 400).average().orElseThrow(),
        org.assertj.core.api.Assertions.within(1e-9));
  }

  @Test
  void everyObjectiveTrainsAndIsReproducible(@TempDir Path tmp) {
    for (Objective objective : Objective.values()) {
      double[] a = Trainer.train(config(objective, 30), tmp.resolve(objective.id() + "-a"), "t",
          null).losses();
      double[] b = Trainer.train(config(objective, 30), tmp.resolve(objective.id() + "-b"), "t",
          null).losses();
      assertThat(a).as(objective.id()).containsExactly(b);
      assertThat(Arrays.stream(a).allMatch(Double::isFinite)).isTrue();
    }
  }
}
