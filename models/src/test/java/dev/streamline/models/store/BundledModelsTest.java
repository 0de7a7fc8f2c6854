package dev.streamline.models.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.streamline.models.data.TwoDimensionalDataset;
import dev.streamline.models.metrics.QualityReport;
import dev.streamline.models.metrics.Samples;
import dev.streamline.sampler.Sampling;
import dev.streamline.sampler.SamplingRequest;
import dev.streamline.sampler.SamplingResult;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every bundled model loads and, at its default sampler, still meets the quality recorded in its
 * manifest: an energy distance within 3× of the data-vs-data floor.
 */
class BundledModelsTest {

  @Test
  void everyBundledModelLoadsAndReproducesItsRecordedQuality(@TempDir Path tmp) {
    assertThat(BundledModels.ids())
        .contains("moons-flow", "checkerboard-ot-flow", "gaussians8-diffusion");
    for (String id : BundledModels.ids()) {
      Path dir = BundledModels.extract(id, tmp);
      try (NDManager manager = NDManager.newBaseManager();
          ModelStore.Loaded loaded = ModelStore.load(dir, manager)) {
        ModelManifest m = loaded.manifest();
        ModelManifest.Evaluation recorded = m.training().evaluation();
        assertThat(m.id()).isEqualTo(id);
        assertThat(recorded.sampler()).isEqualTo(m.defaultSampler());
        SamplingResult result = Sampling.sample(loaded.model(),
            SamplingRequest.of(recorded.sampler(), recorded.steps(), recorded.samples(),
                recorded.seed()), manager);
        QualityReport report = QualityReport.againstData(Samples.rows(result.samples()),
            TwoDimensionalDataset.fromId(m.training().dataset()), recorded.seed());
        double energy = report.generated().energy();
        assertThat(result.nfe()).isEqualTo(recorded.nfe());
        assertThat(energy).as(id).isCloseTo(recorded.metrics().get("energy"),
            org.assertj.core.api.Assertions.withinPercentage(2));
        // The quality bar of the model cards: within 3x of the data-vs-data floor.
        assertThat(energy).as(id).isLessThan(3 * report.floor().energy());
      }
    }
  }

  @Test
  void unknownIdsAreRefused(@TempDir Path tmp) {
    assertThatThrownBy(() -> BundledModels.extract("mnist-gan", tmp))
        .isInstanceOf(ModelStoreException.class)
        .hasMessageStartingWith("no bundled model 'mnist-gan'; bundled: [");
  }
}
