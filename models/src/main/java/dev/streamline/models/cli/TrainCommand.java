package dev.streamline.models.cli;

import dev.streamline.models.data.FashionMnist;
import dev.streamline.models.data.TwoDimensionalDataset;
import dev.streamline.models.train.Objective;
import dev.streamline.models.train.Trainer;
import dev.streamline.models.train.TrainingData;
import java.io.IOException;
import java.util.Map;
import dev.streamline.sampler.Samplers;
import java.nio.file.Path;
import java.util.concurrent.Callable;
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

  @Override
  public Integer call() {
    Trainer.Config config;
    try {
      Samplers.spec(defaultSampler);
      boolean images = "fashion-mnist".equals(dataset);
      TrainingData data = images
          ? TrainingData.of(dataset, new FashionMnist(dataDir).train())
          : TrainingData.of(TwoDimensionalDataset.fromId(dataset));
      config = new Trainer.Config(id != null ? id : out.getFileName().toString(), data,
          Objective.fromId(objective), steps, batchSize, lr, warmup, clip, ema, seed,
          images ? "unet" : "mlp",
          images ? Map.of("baseChannels", baseChannels)
              : Map.of("hidden", hidden, "depth", depth, "timeFeatures", timeFeatures),
          images ? labelDropout : 0, checkpointEvery, defaultSampler, defaultSteps);
    } catch (IllegalArgumentException | IOException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    if (threads < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "threads must be >= 1");
    }
    // Read by the PyTorch engine when it starts, which is after parsing.
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    System.setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(threads));
    String command = "java -jar models/target/models.jar "
        + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    try (ProgressBar bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(steps)
        .setStyle(ProgressBarStyle.ASCII).showSpeed().build()) {
      Trainer.Result result = Trainer.train(config, out, command, (step, loss) -> {
        bar.stepTo(step);
        bar.setExtraMessage(String.format(" loss %.4f", loss));
      });
      spec.commandLine().getOut().printf("wrote %s: final loss %.5f, %.1f s%n", out,
          result.manifest().training().finalLoss(), result.manifest().training().wallTimeSeconds());
    }
    return 0;
  }
}
