package dev.streamline.models.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.streamline.models.data.FashionMnist;
import dev.streamline.models.nn.FashionClassifier;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training on the 200-image test fixture: it must fit it, and its weights must round-trip. */
class ClassifierTrainerTest {

  private static FashionMnist.Split subset;

  @BeforeAll
  static void loadSubset() throws Exception {
    Path directory = Path.of(Objects.requireNonNull(
        ClassifierTrainerTest.class.getResource("/fashion-mnist-subset")).toURI());
    subset = new FashionMnist(directory).test();
  }

  @Test
  void fitsTheSubsetAndRoundTripsItsWeights(@TempDir Path tmp) throws Exception {
    try (NDManager manager = NDManager.newBaseManager()) {
      ClassifierTrainer.Result result = ClassifierTrainer.train(subset,
          new ClassifierTrainer.Config(8, 40, 3e-3, 11), manager, null);
      double[] losses = result.losses();
      FashionClassifier classifier = result.classifier();
      double fitted = ClassifierTrainer.accuracy(classifier, subset);

      // Ten classes, so chance is about 10%; 40 Adam steps fit the 200 images (about 98%).
      assertThat(fitted).isGreaterThan(0.8);
      assertThat(losses[losses.length - 1]).isLessThan(0.5 * losses[0]);
      assertThat(Arrays.stream(losses).allMatch(Double::isFinite)).isTrue();

      Path file = tmp.resolve("nested").resolve("weights.params");
      ClassifierTrainer.save(classifier, file);
      FashionClassifier loaded = ClassifierTrainer.load(file, manager);
      NDArray images = manager.create(Arrays.copyOf(subset.pixels(), 16 * 784),
          new Shape(16, 1, 28, 28));
      ParameterStore store = new ParameterStore(manager, false);
      NDArray expected = classifier.forward(store, new NDList(images), false).singletonOrThrow();
      NDArray actual = loaded.forward(store, new NDList(images), false).singletonOrThrow();

      assertThat(actual.toFloatArray()).containsExactly(expected.toFloatArray());
      assertThat(loaded.features(images).toFloatArray())
          .containsExactly(classifier.features(images).toFloatArray());
      assertThat(ClassifierTrainer.accuracy(loaded, subset)).isEqualTo(fitted);
    }
  }
}
