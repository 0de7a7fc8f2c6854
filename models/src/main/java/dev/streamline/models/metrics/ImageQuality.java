package dev.streamline.models.metrics;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.streamline.models.data.FashionMnist;
import dev.streamline.models.nn.FashionClassifier;
import dev.streamline.models.train.ClassifierTrainer;
import java.io.IOException;
import java.io.InputStream;

/**
 * Quality of generated Fashion-MNIST images, measured with the classifier this project trained
 * and ships ({@code /models/fashion-classifier/weights.params}): the Fréchet distance between its
 * penultimate features of generated and real images, next to the same distance for a second set
 * of real images (the floor), and the share of conditional samples classified as the class they
 * were asked for.
 *
 * @param frechet generated versus real test images
 * @param frechetFloor other real test images versus the same real test images
 * @param classAccuracy share of samples whose most likely class is the requested one
 */
public record ImageQuality(double frechet, double frechetFloor, double classAccuracy) {

  public static final String CLASSIFIER = "/models/fashion-classifier/weights.params";

  /** The bundled classifier, owned by the manager. */
  public static FashionClassifier classifier(NDManager manager) {
    try (InputStream in = ImageQuality.class.getResourceAsStream(CLASSIFIER)) {
      if (in == null) {
        throw new IllegalStateException(CLASSIFIER + " is not in the jar");
      }
      return ClassifierTrainer.load(in, manager);
    } catch (IOException | MalformedModelException e) {
      throw new IllegalStateException(CLASSIFIER + ": " + e.getMessage(), e);
    }
  }

  /**
   * @param generated images [n, 1, 28, 28] in [-1, 1]
   * @param requested the class each image was asked for
   * @param real a split with at least 2n images: the first n are the reference, the next n the
   *     floor's second set
   */
  public static ImageQuality measure(FashionClassifier classifier, NDArray generated,
      int[] requested, FashionMnist.Split real) {
    int n = requested.length;
    if (real.count() < 2 * n) {
      throw new IllegalArgumentException("the real split has " + real.count()
          + " images; comparing " + n + " samples needs " + 2 * n);
    }
    NDManager manager = generated.getManager();
    try (NDManager scope = manager.newSubManager()) {
      ParameterStore store = new ParameterStore(scope, false);
      NDArray images = generated.toType(DataType.FLOAT32, false);
      double[][] fake = Samples.rows(classifier.features(store, images, false));
      NDArray logits = classifier.forward(store, new NDList(images), false).singletonOrThrow();
      int[] predicted = logits.argMax(1).toType(DataType.INT32, false).toIntArray();
      int hits = 0;
      for (int i = 0; i < n; i++) {
        hits += predicted[i] == requested[i] ? 1 : 0;
      }
      double[][] reference = Samples.rows(classifier.features(store, images(real, 0, n, scope), false));
      double[][] second = Samples.rows(classifier.features(store, images(real, n, n, scope), false));
      return new ImageQuality(FrechetDistance.of(fake, reference),
          FrechetDistance.of(second, reference), (double) hits / n);
    }
  }

  private static NDArray images(FashionMnist.Split split, int start, int count, NDManager m) {
    int size = split.pixelsPerImage();
    float[] pixels = new float[count * size];
    System.arraycopy(split.pixels(), start * size, pixels, 0, count * size);
    return m.create(pixels, new Shape(count, 1, split.rows(), split.columns()));
  }
}
