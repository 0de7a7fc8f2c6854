package dev.streamline.models.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.streamline.models.data.FashionMnist;
import dev.streamline.models.store.ModelManifest;
import dev.streamline.models.store.ModelStore;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SamplingLoop;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image path end to end on the shipped 200-image subset: a class-conditional U-Net trains with
 * label dropout, is saved and loaded through the store, and samples with classifier-free guidance.
 */
class ImageTrainingTest {

  @Test
  void conditionalUNetTrainsSavesLoadsAndSamplesWithGuidance(@TempDir Path tmp) throws Exception {
    Path subset = Path.of(getClass().getResource("/fashion-mnist-subset").toURI());
    TrainingData data = TrainingData.of("fashion-mnist", new FashionMnist(subset).test());
    Trainer.Config config = new Trainer.Config("fashion-tiny", data, Objective.CFM, 3, 4, 1e-3, 1,
        1.0, 0.9, 5, "unet", Map.of("baseChannels", 8), 0.5, 0, "heun", 2);
    Path out = tmp.resolve("fashion-tiny");
    Trainer.Result result = Trainer.train(config, out, "test", null);
    assertThat(Arrays.stream(result.losses()).allMatch(Double::isFinite)).isTrue();

    ModelManifest manifest = ModelStore.readManifest(out);
    assertThat(manifest.shape()).containsExactly(1, 28, 28);
    assertThat(manifest.classes()).hasSize(10).startsWith("T-shirt/top");
    try (NDManager manager = NDManager.newBaseManager();
        ModelStore.Loaded loaded = ModelStore.load(out, manager)) {
      assertThat(loaded.model().classCount()).isEqualTo(10);
      SamplingJob job = SamplingJob.of("heun", 2, 2, 1)
          .withLabels(new int[] {3, 7}, 2.0);
      dev.streamline.sampler.SamplingResult result2 = SamplingLoop.sample(loaded.model(), job, manager);
      NDArray samples = result2.samples();
      assertThat(samples.getShape()).isEqualTo(new Shape(2, 1, 28, 28));
      assertThat(result2.nfe()).isEqualTo(4);
      assertThat(Double.isFinite(samples.abs().sum().getFloat())).isTrue();
      // Without labels a conditional model answers for the null class.
      NDArray x = manager.randomNormal(new Shape(3, 1, 28, 28));
      NDArray t = manager.create(new float[] {0.1f, 0.5f, 0.9f});
      int none = dev.streamline.sampler.Model.NULL_LABEL;
      assertThat(loaded.model().predict(x, t, null).toFloatArray())
          .containsExactly(loaded.model().predict(x, t, new int[] {none, none, none})
              .toFloatArray());
    }
  }
}
