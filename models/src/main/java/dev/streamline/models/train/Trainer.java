package dev.streamline.models.train;

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
import dev.streamline.models.data.TwoDimensionalDataset;
import dev.streamline.models.nn.MlpVectorField;
import dev.streamline.models.store.ModelManifest;
import dev.streamline.models.store.ModelStore;
import dev.streamline.models.store.ProcessSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains an MLP vector field on a 2D data set: Adam with linear warm-up and cosine decay,
 * gradient clipping by global norm, and an exponential moving average of the weights, which is
 * what gets saved. Everything random comes from the seed, so a run is reproducible.
 */
public final class Trainer {

  /** What to train and how. */
  public record Config(
      String id,
      TwoDimensionalDataset dataset,
      Objective objective,
      int steps,
      int batchSize,
      double learningRate,
      int warmupSteps,
      double clipNorm,
      double emaDecay,
      long seed,
      int hidden,
      int depth,
      int timeFeatures,
      int checkpointEvery,
      String defaultSampler,
      int defaultSteps) {

    public Config {
      if (steps < 1 || batchSize < 2 || !(learningRate > 0) || warmupSteps < 0
          || !(clipNorm > 0) || !(emaDecay >= 0 && emaDecay < 1) || checkpointEvery < 0) {
        throw new IllegalArgumentException("steps >= 1, batch size >= 2, learning rate > 0,"
            + " warm-up >= 0, clip norm > 0, EMA decay in [0, 1) and checkpoint interval >= 0");
      }
    }
  }

  /** Sees the loss after each step. */
  @FunctionalInterface
  public interface Progress {
    void step(int step, double loss);
  }

  /** The trained (EMA) network's manifest and the loss curve. */
  public record Result(ModelManifest manifest, double[] losses) {}

  private Trainer() {}

  public static Result train(Config config, Path out, String command, Progress progress) {
    long started = System.nanoTime();
    Engine.getInstance().setRandomSeed((int) config.seed());
    MlpVectorField network = new MlpVectorField(2, config.hidden(), config.depth(),
        config.timeFeatures());
    try (NDManager manager = NDManager.newBaseManager()) {
      network.initialize(manager, DataType.FLOAT32, new Shape(config.batchSize(), 2),
          new Shape(config.batchSize()));
      ParameterStore store = new ParameterStore(manager, false);
      Optimizer adam = Optimizer.adam().optLearningRateTracker(schedule(config)).build();
      List<Pair<String, Parameter>> parameters = new ArrayList<>();
      network.getParameters().forEach(parameters::add);
      List<NDArray> ema = new ArrayList<>();
      for (Pair<String, Parameter> p : parameters) {
        ema.add(p.getValue().getArray().duplicate());
      }
      SplittableRandom random = new SplittableRandom(config.seed());
      double[] losses = new double[config.steps()];
      for (int step = 0; step < config.steps(); step++) {
        try (NDManager scope = manager.newSubManager()) {
          double[][] data = config.dataset().sample(config.batchSize(), random.nextLong());
          double[][] noise = gaussian(config.batchSize(), random);
          Objective.Batch batch = config.objective().batch(data, noise, random, scope);
          try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray prediction = network.forward(store, new NDList(batch.xt(), batch.t()), true)
                .singletonOrThrow();
            NDArray loss = prediction.sub(batch.target()).square().mean();
            collector.backward(loss);
            losses[step] = loss.getFloat();
          }
          update(parameters, adam, config.clipNorm(), scope);
          double decay = Math.min(config.emaDecay(), (1.0 + step) / (10.0 + step));
          for (int i = 0; i < parameters.size(); i++) {
            NDArray weight = parameters.get(i).getValue().getArray();
            ema.get(i).muli(decay).addi(weight.mul(1 - decay));
          }
        }
        if (progress != null) {
          progress.step(step + 1, losses[step]);
        }
        int done = step + 1;
        if (config.checkpointEvery() > 0 && done % config.checkpointEvery() == 0
            && done < config.steps()) {
          saveEma(out.resolve("checkpoints").resolve("step-" + done), parameters, ema, network,
              manifest(config, done, losses, started, command));
        }
      }
      ModelManifest manifest = manifest(config, config.steps(), losses, started, command);
      saveEma(out, parameters, ema, network, manifest);
      return new Result(manifest, losses);
    }
  }

  private static Tracker schedule(Config config) {
    Tracker cosine = Tracker.cosine()
        .setBaseValue((float) config.learningRate())
        .optFinalValue((float) (config.learningRate() * 0.05))
        .setMaxUpdates(Math.max(1, config.steps() - config.warmupSteps()))
        .build();
    if (config.warmupSteps() == 0) {
      return cosine;
    }
    return Tracker.warmUp().optWarmUpSteps(config.warmupSteps()).setMainTracker(cosine).build();
  }

  /** Clips the gradients to the global norm, steps Adam, and clears the gradients. */
  private static void update(List<Pair<String, Parameter>> parameters, Optimizer adam,
      double clipNorm, NDManager scope) {
    List<NDArray> gradients = new ArrayList<>();
    NDArray squares = null;
    for (Pair<String, Parameter> p : parameters) {
      NDArray gradient = p.getValue().getArray().getGradient();
      gradient.attach(scope);
      gradients.add(gradient);
      NDArray sum = gradient.square().sum();
      squares = squares == null ? sum : squares.add(sum);
    }
    double norm = Math.sqrt(squares.getFloat());
    double scale = norm > clipNorm ? clipNorm / norm : 1.0;
    for (int i = 0; i < parameters.size(); i++) {
      Parameter parameter = parameters.get(i).getValue();
      NDArray gradient = gradients.get(i);
      if (scale != 1.0) {
        gradient.muli(scale);
      }
      adam.update(parameter.getId(), parameter.getArray(), gradient);
      gradient.subi(gradient);
    }
  }

  private static double[][] gaussian(int n, SplittableRandom random) {
    double[][] out = new double[n][2];
    for (double[] row : out) {
      row[0] = random.nextGaussian();
      row[1] = random.nextGaussian();
    }
    return out;
  }

  /** Saves the EMA weights: swaps them into the network, writes, and swaps the live ones back. */
  private static void saveEma(Path directory, List<Pair<String, Parameter>> parameters,
      List<NDArray> ema, MlpVectorField network, ModelManifest manifest) {
    List<NDArray> live = new ArrayList<>();
    for (int i = 0; i < parameters.size(); i++) {
      NDArray weight = parameters.get(i).getValue().getArray();
      live.add(weight.duplicate());
      weight.set(ema.get(i).toByteBuffer());
    }
    try {
      ModelStore.save(directory, manifest, network);
    } finally {
      for (int i = 0; i < parameters.size(); i++) {
        parameters.get(i).getValue().getArray().set(live.get(i).toByteBuffer());
        live.get(i).close();
      }
    }
  }

  private static ModelManifest manifest(Config config, int steps, double[] losses, long started,
      String command) {
    Objective o = config.objective();
    double recent = 0;
    int window = Math.min(100, steps);
    for (int i = steps - window; i < steps; i++) {
      recent += losses[i];
    }
    ModelManifest.TrainingSummary summary = new ModelManifest.TrainingSummary(
        config.dataset().id(), o.id(), steps, config.batchSize(), config.seed(), recent / window,
        (System.nanoTime() - started) / 1e9, machine(), command, null);
    return new ModelManifest(config.id(), o.kind(), ProcessSpec.of(o.process()),
        o.parameterization().id(),
        new ModelManifest.Architecture("mlp", ModelStore.NETWORK_WEIGHTS, Map.of(
            "hidden", config.hidden(), "depth", config.depth(),
            "timeFeatures", config.timeFeatures())),
        List.of(2), null, List.of(), config.defaultSampler(), config.defaultSteps(), summary);
  }

  static String machine() {
    return Runtime.getRuntime().availableProcessors() + " cores, "
        + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version");
  }
}
