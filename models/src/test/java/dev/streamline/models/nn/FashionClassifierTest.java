package dev.streamline.models.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import org.junit.jupiter.api.Test;

class FashionClassifierTest {

  @Test
  void givesLogitsAndPenultimateFeatures() {
    try (NDManager manager = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(5);
      FashionClassifier classifier = new FashionClassifier();
      classifier.initialize(manager, DataType.FLOAT32, new Shape(4, 1, 28, 28));
      NDArray images = manager.randomUniform(-1f, 1f, new Shape(4, 1, 28, 28));

      NDArray logits = classifier.forward(new ParameterStore(manager, false), new NDList(images),
          false).singletonOrThrow();
      NDArray features = classifier.features(images);

      assertThat(logits.getShape()).isEqualTo(new Shape(4, FashionClassifier.CLASSES));
      assertThat(features.getShape()).isEqualTo(new Shape(4, FashionClassifier.FEATURES));
      // Features come after a ReLU; at inference the head is linear in them.
      assertThat(features.min().getFloat()).isGreaterThanOrEqualTo(0f);
      assertThat(features.max().getFloat()).isGreaterThan(0f);
      assertThat(features.get(0).sub(features.get(1)).abs().max().getFloat()).isGreaterThan(0f);

      long count = 0;
      for (Pair<String, Parameter> p : classifier.getParameters()) {
        count += p.getValue().getArray().size();
      }
      // Small enough for a weights file well under 2 MB at 4 bytes a weight.
      assertThat(count).isBetween(100_000L, 400_000L);
    }
  }

  @Test
  void rejectsImagesOfAnotherShape() {
    try (NDManager manager = NDManager.newBaseManager()) {
      assertThatThrownBy(() -> new FashionClassifier().initialize(manager, DataType.FLOAT32,
          new Shape(1, 1, 32, 32))).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("[B, 1, 28, 28]");
    }
  }
}
