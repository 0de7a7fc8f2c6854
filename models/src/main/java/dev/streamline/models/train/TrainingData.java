package dev.streamline.models.train;

import ai.djl.ndarray.types.Shape;
import dev.streamline.models.data.FashionMnist;
import dev.streamline.models.data.TwoDimensionalDataset;
import java.util.List;
import java.util.SplittableRandom;

/** Where training batches come from: a seeded draw of samples and, for labelled data, labels. */
public interface TrainingData {

  /** The data set's name as recorded in model.json ("moons", "fashion-mnist", ...). */
  String id();

  Shape sampleShape();

  /** Class names of labelled data; empty when the data is unlabelled. */
  List<String> classNames();

  /** {@code n} samples flattened row-major, with their labels (null when unlabelled). */
  Draw draw(int n, SplittableRandom random);

  record Draw(float[] values, int[] labels) {}

  static TrainingData of(TwoDimensionalDataset dataset) {
    return new TrainingData() {
      @Override public String id() { return dataset.id(); }
      @Override public Shape sampleShape() { return new Shape(2); }
      @Override public List<String> classNames() { return List.of(); }

      @Override
      public Draw draw(int n, SplittableRandom random) {
        double[][] points = dataset.sample(n, random.nextLong());
        float[] values = new float[2 * n];
        for (int i = 0; i < n; i++) {
          values[2 * i] = (float) points[i][0];
          values[2 * i + 1] = (float) points[i][1];
        }
        return new Draw(values, null);
      }
    };
  }

  /** Images drawn uniformly with replacement from a split, pixels in [-1, 1]. */
  static TrainingData of(String id, FashionMnist.Split split) {
    return new TrainingData() {
      @Override public String id() { return id; }
      @Override public Shape sampleShape() { return new Shape(1, split.rows(), split.columns()); }
      @Override public List<String> classNames() { return FashionMnist.CLASS_NAMES; }

      @Override
      public Draw draw(int n, SplittableRandom random) {
        int size = split.pixelsPerImage();
        float[] values = new float[n * size];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
          int image = random.nextInt(split.count());
          System.arraycopy(split.pixels(), image * size, values, i * size, size);
          labels[i] = split.labels()[image];
        }
        return new Draw(values, labels);
      }
    };
  }
}
