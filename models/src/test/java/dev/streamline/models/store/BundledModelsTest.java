package dev.streamline.models.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.streamline.models.data.FashionMnist;
import dev.streamline.models.data.TwoDimensionalDataset;
import dev.streamline.models.metrics.ImageQuality;
import dev.streamline.models.metrics.QualityReport;
import dev.streamline.models.metrics.Samples;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SamplingLoop;
import dev.streamline.sampler.SamplingResult;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every bundled model loads and, at its default sampler, still meets the quality recorded in its
 * manifest: for points an energy distance within 3× of the data-vs-data floor, for images the
 * guided class accuracy.
 */
class BundledModelsTest {

  @Test
  void everyBundledModelLoadsAndReproducesItsRecordedQuality(@TempDir Path tmp) throws Exception {
    assertThat(BundledModels.ids()).contains("moons-flow", "checkerboard-ot-flow",
        "gaussians8-diffusion", "fashion-mnist-flow");
    for (String id : BundledModels.ids()) {
      Path dir = BundledModels.extract(id, tmp);
      try (NDManager manager = NDManager.newBaseManager();
          ModelStore.Loaded loaded = ModelStore.load(dir, manager)) {
        ModelManifest m = loaded.manifest();
        assertThat(m.id()).isEqualTo(id);
        assertThat(m.training().evaluation().sampler()).isEqualTo(m.defaultSampler());
        if (m.shape().size() == 3) {
          checkImages(loaded);
        } else {
          checkPoints(loaded, manager);
        }
      }
    }
  }

  /** Re-samples the recorded evaluation: same seed, so the same samples and energy. */
  private static void checkPoints(ModelStore.Loaded loaded, NDManager manager) {
    ModelManifest m = loaded.manifest();
    ModelManifest.Evaluation recorded = m.training().evaluation();
    SamplingResult result = SamplingLoop.sample(loaded.model(),
        SamplingJob.of(recorded.sampler(), recorded.steps(), recorded.samples(),
            recorded.seed()), manager);
    QualityReport report = QualityReport.againstData(Samples.rows(result.samples()),
        TwoDimensionalDataset.fromId(m.training().dataset()), recorded.seed());
    double energy = report.generated().energy();
    assertThat(result.nfe()).isEqualTo(recorded.nfe());
    assertThat(energy).as(m.id()).isCloseTo(recorded.metrics().get("energy"),
        org.assertj.core.api.Assertions.withinPercentage(2));
    // The quality bar of the model cards: within 3x of the data-vs-data floor.
    assertThat(energy).as(m.id()).isLessThan(3 * report.floor().energy());
  }

  /**
   * The first 50 samples of the recorded guided evaluation (the same seeds), judged by the
   * bundled classifier against the 200-image test subset: the class bar of the model card holds
   * within the noise of 50 samples.
   */
  private static void checkImages(ModelStore.Loaded loaded) throws Exception {
    ModelManifest m = loaded.manifest();
    ModelManifest.Evaluation recorded = m.training().evaluation();
    int n = 50;
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % m.classes().size();
    }
    double guidance = recorded.metrics().get("guidance");
    try (NDManager manager = NDManager.newBaseManager()) {
      SamplingResult result = SamplingLoop.sample(loaded.model(),
          SamplingJob.of(recorded.sampler(), recorded.steps(), n, recorded.seed())
              .withLabels(labels, guidance), manager);
      assertThat(result.nfe()).isEqualTo(recorded.nfe());
      FashionMnist.Split real = new FashionMnist(Path.of(
          BundledModelsTest.class.getResource("/fashion-mnist-subset").toURI())).test();
      ImageQuality quality =
          ImageQuality.measure(ImageQuality.classifier(manager), result.samples(), labels, real);
      assertThat(quality.classAccuracy()).as(m.id()).isGreaterThanOrEqualTo(0.8);
      assertThat(quality.frechet()).isFinite().isPositive();
    }
  }

  @Test
  void unknownIdsAreRefused(@TempDir Path tmp) {
    assertThatThrownBy(() -> BundledModels.extract("mnist-gan", tmp))
        .isInstanceOf(ModelStoreException.class)
        .hasMessageStartingWith("no bundled model 'mnist-gan'; bundled: [");
  }
}
