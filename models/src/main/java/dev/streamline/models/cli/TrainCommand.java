package dev.streamline.models.cli;

import dev.streamline.models.data.TwoDimensionalDataset;
import dev.streamline.models.train.Objective;
import dev.streamline.models.train.Trainer;
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
      description = "moons, 8gaussians, checkerboard or spirals")
  String dataset;

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
  @Option(names = "--hidden", defaultValue = "128") int hidden;
  @Option(names = "--depth", defaultValue = "3") int depth;
  @Option(names = "--time-features", defaultValue = "64") int timeFeatures;
  @Option(names = "--checkpoint-every", defaultValue = "0",
      description = "also save checkpoints/step-N every N steps (0: never)")
  int checkpointEvery;
  @Option(names = "--default-sampler", defaultValue = "dopri5") String defaultSampler;
  @Option(names = "--default-steps", defaultValue = "32") int defaultSteps;

  @Override
  public Integer call() {
    Trainer.Config config;
    try {
      Samplers.spec(defaultSampler);
      config = new Trainer.Config(id != null ? id : out.getFileName().toString(),
          TwoDimensionalDataset.fromId(dataset), Objective.fromId(objective), steps, batchSize, lr,
          warmup, clip, ema, seed, hidden, depth, timeFeatures, checkpointEvery, defaultSampler,
          defaultSteps);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
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
