package dev.streamline.loadtest;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.streamline.models.data.FashionMnist;
import dev.streamline.models.metrics.ImageQuality;
import dev.streamline.models.nn.FashionClassifier;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fashion-MNIST models: the bundled classifier's Fréchet distance between generated and real test
 * images, next to the same distance for a second set of real images, and the share of samples
 * classified as the class they were asked for ({@link ImageQuality}).
 */
final class ImageQualityMeter implements QualityMeter {

  static final String PRIMARY = "frechet";

  static final List<String> METRICS = List.of(PRIMARY, "frechetFloor", "classAccuracy");

  private final FashionMnist.Split real;
  private final Requests requests;
  private final NDManager manager;
  private final FashionClassifier classifier;

  ImageQualityMeter(FashionMnist.Split real, Requests requests) {
    this.real = real;
    this.requests = requests;
    this.manager = NDManager.newBaseManager();
    try {
      this.classifier = ImageQuality.classifier(manager);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  @Override
  public String primary() {
    return PRIMARY;
  }

  @Override
  public List<String> metrics() {
    return METRICS;
  }

  @Override
  public Map<String, Double> measure(int[] indices, float[][] samples, boolean deterministic) {
    int n = samples.length;
    int size = real.pixelsPerImage();
    float[] pixels = new float[n * size];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      if (samples[i].length != size) {
        throw new IllegalStateException("a sample has " + samples[i].length
            + " values; Fashion-MNIST images have " + size);
      }
      System.arraycopy(samples[i], 0, pixels, i * size, size);
      labels[i] = requests.label(indices[i]);
    }
    try (NDManager scope = manager.newSubManager()) {
      NDArray images = scope.create(pixels, new Shape(n, 1, real.rows(), real.columns()));
      ImageQuality quality = ImageQuality.measure(classifier, images, labels, real);
      Map<String, Double> metrics = new LinkedHashMap<>();
      metrics.put("frechet", quality.frechet());
      metrics.put("frechetFloor", quality.frechetFloor());
      metrics.put("classAccuracy", requests.classes() > 0 ? quality.classAccuracy() : Double.NaN);
      return metrics;
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
