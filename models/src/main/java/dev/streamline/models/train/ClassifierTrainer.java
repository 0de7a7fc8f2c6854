package dev.streamline.models.train;

import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import dev.streamline.models.data.FashionMnist;
import dev.streamline.models.nn.FashionClassifier;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Trains the {@link FashionClassifier} on a Fashion-MNIST split with Adam and a cosine-decayed
 * learning rate, over shuffled mini-batches; the seed fixes the initial weights, the shuffling and
 * the dropout masks, so a run on the same machine is reproducible.
 */
public final class ClassifierTrainer {

  /** How to train. */
  public record Config(int epochs, int batchSize, double learningRate, long seed) {

    public Config {
      if (epochs < 1 || batchSize < 2 || !(learningRate > 0)) {
        throw new IllegalArgumentException("epochs >= 1, batch size >= 2 and learning rate > 0");
      }
    }
  }

  /** Sees each epoch's mean loss and accuracy on its training batches (dropout active). */
  @FunctionalInterface
  public interface Progress {
    void epoch(int epoch, double loss, double accuracy);
  }

  /** The trained classifier, whose weights live in the manager given to train, and its curve. */
  public record Result(FashionClassifier classifier, double[] losses, double[] accuracies) {}

  private static final int EVALUATION_BATCH = 500;

  private ClassifierTrainer() {}

  public static Result train(FashionMnist.Split data, Config config, NDManager manager,
      Progress progress) {
    requireImages(data);
    int batchSize = Math.min(config.batchSize(), data.count());
    int batchesPerEpoch = data.count() / batchSize;
    Engine.getInstance().setRandomSeed((int) config.seed());
    FashionClassifier classifier = new FashionClassifier();
    classifier.initialize(manager, DataType.FLOAT32, new Shape(batchSize).addAll(
        FashionClassifier.IMAGE));
    List<Parameter> trainable = new ArrayList<>();
    for (Pair<String, Parameter> p : classifier.getParameters()) {
      // Batch normalisation's running statistics are parameters too, updated by the forward pass.
      if (p.getValue().requiresGradient()) {
        trainable.add(p.getValue());
      }
    }
    Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.cosine()
        .setBaseValue((float) config.learningRate())
        .optFinalValue((float) (config.learningRate() * 0.01))
        .setMaxUpdates(config.epochs() * batchesPerEpoch)
        .build()).build();
    ParameterStore store = new ParameterStore(manager, false);
    SplittableRandom random = new SplittableRandom(config.seed());
    double[] losses = new double[config.epochs()];
    double[] accuracies = new double[config.epochs()];
    for (int epoch = 0; epoch < config.epochs(); epoch++) {
      int[] order = permutation(data.count(), random);
      double lossSum = 0;
      long correct = 0;
      for (int batch = 0; batch < batchesPerEpoch; batch++) {
        try (NDManager scope = manager.newSubManager()) {
          NDList inputs = batchOf(data, order, batch * batchSize, batchSize, scope);
          NDArray labels = inputs.get(1);
          try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray logits = classifier.forward(store, new NDList(inputs.get(0)), true)
                .singletonOrThrow();
            NDArray loss = crossEntropy(logits, labels);
            collector.backward(loss);
            lossSum += loss.getFloat();
            correct += countCorrect(logits, labels);
          }
          for (Parameter parameter : trainable) {
            NDArray gradient = parameter.getArray().getGradient();
            gradient.attach(scope);
            adam.update(parameter.getId(), parameter.getArray(), gradient);
            gradient.subi(gradient);
          }
        }
      }
      losses[epoch] = lossSum / batchesPerEpoch;
      accuracies[epoch] = (double) correct / ((long) batchesPerEpoch * batchSize);
      if (progress != null) {
        progress.epoch(epoch + 1, losses[epoch], accuracies[epoch]);
      }
    }
    return new Result(classifier, losses, accuracies);
  }

  /** The fraction of the split's images whose most likely class is their label. */
  public static double accuracy(FashionClassifier classifier, FashionMnist.Split data) {
    requireImages(data);
    NDManager owner = classifier.getParameters().get(0).getValue().getArray().getManager();
    ParameterStore store = new ParameterStore(owner, false);
    int[] order = new int[data.count()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    long correct = 0;
    for (int start = 0; start < data.count(); start += EVALUATION_BATCH) {
      int size = Math.min(EVALUATION_BATCH, data.count() - start);
      try (NDManager scope = owner.newSubManager()) {
        NDList inputs = batchOf(data, order, start, size, scope);
        NDArray logits = classifier.forward(store, new NDList(inputs.get(0)), false)
            .singletonOrThrow();
        correct += countCorrect(logits, inputs.get(1));
      }
    }
    return (double) correct / data.count();
  }

  /** Writes the classifier's weights, batch-normalisation statistics included. */
  public static void save(FashionClassifier classifier, Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
      classifier.saveParameters(new DataOutputStream(out));
    }
  }

  /** A classifier with the weights that {@link #save} wrote, owned by the manager. */
  public static FashionClassifier load(Path file, NDManager manager)
      throws IOException, MalformedModelException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      return load(in, manager);
    }
  }

  /** As {@link #load(Path, NDManager)}, from a stream such as a class-path resource. */
  public static FashionClassifier load(InputStream in, NDManager manager)
      throws IOException, MalformedModelException {
    FashionClassifier classifier = new FashionClassifier();
    classifier.initialize(manager, DataType.FLOAT32, new Shape(1).addAll(FashionClassifier.IMAGE));
    classifier.loadParameters(manager, new DataInputStream(in));
    return classifier;
  }

  private static void requireImages(FashionMnist.Split data) {
    if (data.rows() != 28 || data.columns() != 28 || data.count() < 1) {
      throw new IllegalArgumentException("the classifier needs 28x28 images, not " + data.count()
          + " of " + data.rows() + "x" + data.columns());
    }
  }

  /** Images [n, 1, 28, 28] and int labels [n] of the examples order[start], ..., in that order. */
  private static NDList batchOf(FashionMnist.Split data, int[] order, int start, int size,
      NDManager manager) {
    int pixels = data.pixelsPerImage();
    float[] images = new float[size * pixels];
    int[] labels = new int[size];
    for (int i = 0; i < size; i++) {
      int example = order[start + i];
      System.arraycopy(data.pixels(), example * pixels, images, i * pixels, pixels);
      labels[i] = data.labels()[example];
    }
    return new NDList(manager.create(images, new Shape(size).addAll(FashionClassifier.IMAGE)),
        manager.create(labels));
  }

  private static NDArray crossEntropy(NDArray logits, NDArray labels) {
    NDArray oneHot = labels.oneHot(FashionClassifier.CLASSES, logits.getDataType());
    return logits.logSoftmax(1).mul(oneHot).sum(new int[] {1}).mean().neg();
  }

  private static long countCorrect(NDArray logits, NDArray labels) {
    return logits.argMax(1).toType(DataType.INT32, false).eq(labels).sum().getLong();
  }

  private static int[] permutation(int n, SplittableRandom random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    return order;
  }
}
