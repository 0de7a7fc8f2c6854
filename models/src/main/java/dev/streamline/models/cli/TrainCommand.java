package dev.streamline.models.cli;

import dev.streamline.models.data.FashionMnist;
import dev.streamline.models.data.TwoDimensionalDataset;
import dev.streamline.models.store.ModelStore;
import dev.streamline.models.train.Objective;
import dev.streamline.models.train.Trainer;
import dev.streamline.models.train.TrainingData;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import dev.streamline.sampler.SamplerCatalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code train}: fits a vector field and writes a model directory. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a vector field and write a model directory (model.json + weights).")
final class TrainCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--dataset", required = true,
      description = "moons, 8gaussians, checkerboard, spirals or fashion-mnist")
  String dataset;

  @Option(names = "--data-dir", description = "Fashion-MNIST IDX files (default: ${DEFAULT-VALUE})",
      defaultValue = FashionMnist.DEFAULT_DIRECTORY_NAME)
  Path dataDir;

  @Option(names = "--objective", required = true, description = "cfm, ot-cfm, vp-epsilon or vp-v")
  String objective;

  @Option(names = "--out", required = true, description = "model directory to write")
  Path out;

  @Option(names = "--id", description = "model id (default: the output directory's name)")
  String id;

  @Option(names = "--steps", defaultValue = "20000") int steps;
  @Option(names = "--batch-size", defaultValue = "256") int batchSize;
  @Option(names = "--lr", defaultValue = "1e-3", description = "peak learning rate") double lr;
  @Option(names = "--warmup", defaultValue = "500", description = "linear warm-up steps")
  int warmup;
  @Option(names = "--clip", defaultValue = "1.0", description = "global gradient-norm limit")
  double clip;
  @Option(names = "--ema", defaultValue = "0.999", description = "EMA decay of the saved weights")
  double ema;
  @Option(names = "--seed", defaultValue = "0") long seed;
  @Option(names = "--hidden", defaultValue = "128", description = "MLP width") int hidden;
  @Option(names = "--depth", defaultValue = "3", description = "MLP hidden layers") int depth;
  @Option(names = "--time-features", defaultValue = "64", description = "MLP time embedding")
  int timeFeatures;
  @Option(names = "--base-channels", defaultValue = "32", description = "U-Net width")
  int baseChannels;
  @Option(names = "--label-dropout", defaultValue = "0.1",
      description = "labelled data: share trained unconditionally, for guidance")
  double labelDropout;
  @Option(names = "--checkpoint-every", defaultValue = "0",
      description = "also save checkpoints/step-N every N steps (0: never)")
  int checkpointEvery;
  @Option(names = "--threads", defaultValue = "1",
      description = "libtorch threads; small networks train fastest on one")
  int threads;
  @Option(names = "--default-sampler", defaultValue = "dopri5") String defaultSampler;
  @Option(names = "--default-steps", defaultValue = "32") int defaultSteps;

  private static final List<String> MLP_OPTIONS = List.of("--hidden", "--depth", "--time-features");
  private static final List<String> UNET_OPTIONS = List.of("--base-channels", "--label-dropout");

  @Override
  public Integer call() {
    // Everything about the output is checked before training, which can take hours.
    Path target = out.toAbsolutePath().normalize();
    checkOut(target);
    boolean images = "fashion-mnist".equals(dataset);
    List<String> otherNetwork = (images ? MLP_OPTIONS : UNET_OPTIONS).stream()
        .filter(spec.commandLine().getParseResult()::hasMatchedOption).toList();
    if (!otherNetwork.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(), String.join(", ", otherNetwork)
          + (images ? ": MLP options, but fashion-mnist trains a U-Net"
              : ": U-Net options, but " + dataset + " trains an MLP"));
    }
    // The networks' own checks fail only once training starts, and without the option's name;
    // the upper limits keep a typo from filling the memory or building for hours.
    if (images) {
      checkSize("--base-channels", baseChannels, 8, 256, 8);
    } else {
      checkSize("--hidden", hidden, 1, 8192, 1);
      checkSize("--depth", depth, 1, 64, 1);
      checkSize("--time-features", timeFeatures, 2, 1024, 2);
    }
    Trainer.Config config;
    try {
      SamplerCatalog.spec(defaultSampler);
      TrainingData data = images
          ? TrainingData.of(dataset, new FashionMnist(dataDir).train())
          : TrainingData.of(TwoDimensionalDataset.fromId(dataset));
      config = new Trainer.Config(id != null ? id : target.getFileName().toString(), data,
          Objective.fromId(objective), steps, batchSize, lr, warmup, clip, ema, seed,
          images ? "unet" : "mlp",
          images ? Map.of("baseChannels", baseChannels)
              : Map.of("hidden", hidden, "depth", depth, "timeFeatures", timeFeatures),
          images ? labelDropout : 0, checkpointEvery, defaultSampler, defaultSteps);
    } catch (IllegalArgumentException | IOException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage()
          + (id == null && String.valueOf(e.getMessage()).startsWith("model id ")
              ? " (the output directory's name; give --id)" : ""));
    }
    // Here, so that a misspelt data set is refused as unknown rather than as not fashion-mnist.
    if (!images && spec.commandLine().getParseResult().hasMatchedOption("--data-dir")) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--data-dir applies to"
          + " fashion-mnist only; " + dataset + " is generated, not read from files");
    }
    // libtorch starts every thread it is told to: a hundred thousand take minutes to start, and
    // more than the cores only slow training down.
    int cores = Runtime.getRuntime().availableProcessors();
    if (threads < 1 || threads > cores) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "threads must be >= 1 and at most this machine's " + cores + " cores, got " + threads);
    }
    // Read by the PyTorch engine when it starts, which is after parsing.
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    System.setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(threads));
    String command = "java -jar models/target/models-cli.jar "
        + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    try (ProgressBar bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(steps)
        .setStyle(ProgressBarStyle.ASCII).showSpeed().build()) {
      Trainer.Result result = Trainer.train(config, target, command, (step, loss) -> {
        bar.stepTo(step);
        bar.setExtraMessage(String.format(" loss %.4f", loss));
      });
      spec.commandLine().getOut().printf("wrote %s: final loss %.5f, %.1f s%n", out,
          result.manifest().training().finalLoss(), result.manifest().training().wallTimeSeconds());
    }
    return 0;
  }

  private void checkSize(String option, int value, int min, int max, int multipleOf) {
    if (value < min || value > max || value % multipleOf != 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), option + " must be "
          + (multipleOf == 1 ? "" : multipleOf == 2 ? "even, " : "a multiple of " + multipleOf
              + ", ")
          + "from " + min + " to " + max + ", got " + value);
    }
  }

  /**
   * The output directory is replaced whole when the model is written: it may be new, empty, an
   * earlier model, or what an interrupted run left (its checkpoints), but nothing else.
   */
  private void checkOut(Path target) {
    if (Files.isDirectory(target)) {
      if (Files.exists(target.resolve(ModelStore.MANIFEST))) {
        return;
      }
      try (Stream<Path> entries = Files.list(target)) {
        List<String> foreign = entries.map(p -> p.getFileName().toString())
            .filter(name -> !name.equals(Trainer.CHECKPOINTS)).sorted().limit(4).toList();
        if (!foreign.isEmpty()) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out
              + " holds files that are not a model ("
              + String.join(", ", foreign.subList(0, Math.min(3, foreign.size())))
              + (foreign.size() > 3 ? ", ..." : "") + ") and would be replaced by one; name a"
              + " new or empty directory");
        }
      } catch (IOException e) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--out " + out + " cannot be listed: " + e.getMessage());
      }
      return;
    }
    if (Files.exists(target)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--out " + out + " is a file; name a directory to write the model to");
    }
    String problem = OutputPath.whyNotCreatable(out);
    if (problem != null) {
      throw new CommandLine.ParameterException(spec.commandLine(), problem);
    }
  }
}
