package dev.streamline.models.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import dev.streamline.models.data.TwoDimensionalDataset;
import dev.streamline.models.store.ModelManifest;
import dev.streamline.models.store.ModelStore;
import dev.streamline.models.store.ProcessSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Trains a vector field (an MLP on 2D points, a U-Net on images): Adam with linear warm-up and cosine decay,
 * gradient clipping by global norm, and an exponential moving average of the weights, which is
 * what gets saved. Everything random comes from the seed, so a run is reproducible.
 */
public final class Trainer {

  /**
   * What to train and how.
   *
   * @param architecture the network: "mlp" (hidden, depth, timeFeatures) or "unet"
   *     (baseChannels)
   * @param labelDropout probability of training a labelled sample as unconditional, which is
   *     what classifier-free guidance needs
   */
  public record Config(
      String id,
      TrainingData data,
      Objective objective,
      int steps,
      int batchSize,
      double learningRate,
      int warmupSteps,
      double clipNorm,
      double emaDecay,
      long seed,
      String architecture,
      Map<String, Integer> architectureParams,
      double labelDropout,
      int checkpointEvery,
      String defaultSampler,
      int defaultSteps) {

    public Config {
      if (steps < 1 || batchSize < 2 || !(learningRate > 0 && Double.isFinite(learningRate))
          || warmupSteps < 0 || !(clipNorm > 0) || !(emaDecay >= 0 && emaDecay < 1)
          || checkpointEvery < 0 || !(labelDropout >= 0 && labelDropout < 1)) {
        throw new IllegalArgumentException("steps >= 1, batch size >= 2, learning rate > 0"
            + " (finite), warm-up >= 0, clip norm > 0, EMA decay in [0, 1), label dropout in"
            + " [0, 1) and checkpoint interval >= 0");
      }
      // model.json's rules, checked now: the model is written only after the last step.
      ModelStore.checkId(id);
      if (defaultSteps < 1) {
        throw new IllegalArgumentException("default steps must be >= 1, got " + defaultSteps);
      }
      if (objective == Objective.OT_CFM && !data.classNames().isEmpty()) {
        throw new IllegalArgumentException("ot-cfm pairs noise with unlabelled data only");
      }
      architectureParams = Map.copyOf(architectureParams);
    }

    /** An MLP on a 2D data set, the shape of the bundled 2D models. */
    public static Config points(String id, TwoDimensionalDataset dataset, Objective objective,
        int steps, int batchSize, double learningRate, int warmupSteps, long seed, int hidden,
        int depth, int timeFeatures, String defaultSampler, int defaultSteps) {
      return new Config(id, TrainingData.of(dataset), objective, steps, batchSize, learningRate,
          warmupSteps, 1.0, 0.999, seed, "mlp",
          Map.of("hidden", hidden, "depth", depth, "timeFeatures", timeFeatures), 0, 0,
          defaultSampler, defaultSteps);
    }
  }

  /** Sees the loss after each step. */
  @FunctionalInterface
  public interface Progress {
    void step(int step, double loss);
  }

  /** The trained (EMA) network's manifest and the loss curve. */
  public record Result(ModelManifest manifest, double[] losses) {}

  /** The subdirectory of the output directory that {@code checkpointEvery} writes to. */
  public static final String CHECKPOINTS = "checkpoints";

  private Trainer() {}

  public static Result train(Config config, Path out, String command, Progress progress) {
    long started = System.nanoTime();
    Engine.getInstance().setRandomSeed((int) config.seed());
    ModelManifest draft = manifest(config, 0, new double[0], started, command);
    Block network = ModelStore.newNetwork(draft);
    Shape shape = config.data().sampleShape();
    int classes = config.data().classNames().size();
    try (NDManager manager = NDManager.newBaseManager()) {
      Shape rows = new Shape(config.batchSize());
      network.initialize(manager, DataType.FLOAT32, rows.addAll(shape), rows, rows);
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
          TrainingData.Draw draw = config.data().draw(config.batchSize(), random);
          float[] noise = gaussian(draw.values().length, random);
          Objective.Batch batch = config.objective().batch(draw.values(), noise, shape, random,
              scope);
          NDList inputs = new NDList(batch.xt(), batch.t());
          if (classes > 0) {
            inputs.add(scope.create(dropLabels(draw.labels(), classes, config.labelDropout(),
                random)));
          }
          try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray prediction = network.forward(store, inputs, true).singletonOrThrow();
            NDArray loss = prediction.sub(batch.target()).square().mean();
            collector.backward(loss);
            losses[step] = loss.getFloat();
          }
          // Past this point every weight is NaN, and so would be the model written at the end.
          if (!Double.isFinite(losses[step])) {
            throw new IllegalStateException("training diverged: the loss is " + losses[step]
                + " at step " + (step + 1) + "; try a lower learning rate");
          }
          update(parameters, adam, config.clipNorm(), scope);
          double decay = Math.min(config.emaDecay(), (1.0 + step) / (10.0 + step));
          for (int i = 0; i < parameters.size(); i++) {
            NDArray share = parameters.get(i).getValue().getArray().mul(1 - decay);
            // A result lands with its first operand's manager, here the weights' (which lives
            // for the whole run); the step scope must own it.
            share.attach(scope);
            ema.get(i).muli(decay).addi(share);
          }
        }
        if (progress != null) {
          progress.step(step + 1, losses[step]);
        }
        int done = step + 1;
        if (config.checkpointEvery() > 0 && done % config.checkpointEvery() == 0
            && done < config.steps()) {
          saveEma(out.resolve(CHECKPOINTS).resolve("step-" + done), parameters, ema, network,
              manifest(config, done, losses, started, command), Set.of());
        }
      }
      ModelManifest manifest = manifest(config, config.steps(), losses, started, command);
      saveEma(out, parameters, ema, network, manifest,
          config.checkpointEvery() > 0 ? Set.of(CHECKPOINTS) : Set.of());
      return new Result(manifest, losses);
    }
  }

  /** The null class (index = class count) in place of a label with the given probability. */
  private static int[] dropLabels(int[] labels, int classes, double dropout,
      SplittableRandom random) {
    int[] out = labels.clone();
    for (int i = 0; i < out.length; i++) {
      if (random.nextDouble() < dropout) {
        out[i] = classes;
      }
    }
    return out;
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

  private static float[] gaussian(int n, SplittableRandom random) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) random.nextGaussian();
    }
    return out;
  }

  /** Saves the EMA weights: swaps them into the network, writes, and swaps the live ones back. */
  private static void saveEma(Path directory, List<Pair<String, Parameter>> parameters,
      List<NDArray> ema, Block network, ModelManifest manifest, Set<String> keep) {
    List<NDArray> live = new ArrayList<>();
    for (int i = 0; i < parameters.size(); i++) {
      NDArray weight = parameters.get(i).getValue().getArray();
      live.add(weight.duplicate());
      weight.set(ema.get(i).toByteBuffer());
    }
    try {
      ModelStore.save(directory, manifest, network, keep);
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
        config.data().id(), o.id(), steps, config.batchSize(), config.seed(),
        window == 0 ? Double.NaN : recent / window, (System.nanoTime() - started) / 1e9, machine(),
        command, null);
    List<Integer> shape = new ArrayList<>();
    for (long d : config.data().sampleShape().getShape()) {
      shape.add((int) d);
    }
    return new ModelManifest(config.id(), o.kind(), ProcessSpec.of(o.process()),
        o.parameterization().id(),
        new ModelManifest.Architecture(config.architecture(), ModelStore.NETWORK_WEIGHTS,
            config.architectureParams()),
        shape, null, config.data().classNames(), config.defaultSampler(), config.defaultSteps(),
        summary);
  }

  static String machine() {
    return Runtime.getRuntime().availableProcessors() + " cores, "
        + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version");
  }
}
