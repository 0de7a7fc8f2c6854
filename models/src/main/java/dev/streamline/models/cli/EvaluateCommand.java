package dev.streamline.models.cli;

import ai.djl.ndarray.NDManager;
import dev.streamline.models.data.FashionMnist;
import dev.streamline.models.data.TwoDimensionalDataset;
import dev.streamline.models.metrics.ImageQuality;
import dev.streamline.models.metrics.QualityReport;
import dev.streamline.models.metrics.Samples;
import dev.streamline.models.store.ModelManifest;
import dev.streamline.models.store.Conventions;
import dev.streamline.models.store.ModelStore;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SamplingLoop;
import dev.streamline.sampler.SamplingResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code evaluate}: samples a model and measures the samples against fresh data. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Sample a model and measure the samples: for 2D models energy distance, RBF"
        + " MMD² and sliced W2 against fresh data, each next to its data-vs-data floor; for"
        + " Fashion-MNIST models the classifier's Fréchet distance and class accuracy.")
final class EvaluateCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, description = "model directory") Path model;
  @Option(names = "--sampler", description = "sampler id (default: the model's)") String sampler;
  @Option(names = "--steps", description = "steps (default: the model's)") Integer steps;
  @Option(names = "-n", defaultValue = "2000", description = "samples to draw") int n;
  @Option(names = "--seed", defaultValue = "0") long seed;
  @Option(names = "--guidance", defaultValue = "1.0",
      description = "classifier-free guidance scale for class-conditional models")
  double guidance;
  @Option(names = "--data-dir", defaultValue = FashionMnist.DEFAULT_DIRECTORY_NAME,
      description = "Fashion-MNIST IDX files, for image models (default: ${DEFAULT-VALUE})")
  Path dataDir;
  @Option(names = "--record", description = "write the result into model.json")
  boolean record;

  @Override
  public Integer call() {
    // ModelStore would say only ".../model.json/model.json: missing" or ".../model.json: missing".
    if (!Files.exists(model.resolve(ModelStore.MANIFEST))) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--model must be a model"
          + " directory (holding " + ModelStore.MANIFEST + "); " + (Files.isRegularFile(model)
              ? "got a file: " + model : Files.isDirectory(model) ? model + " holds none"
              : model + " does not exist"));
    }
    ModelManifest manifest = ModelStore.readManifest(model);
    boolean images = manifest.shape().size() == 3;
    Conventions conventions = ModelStore.conventions(model, manifest);
    String samplerId = sampler != null ? sampler : conventions.defaultSampler();
    int stepCount = steps != null ? steps : conventions.defaultSteps();
    // Checked before sampling, which for an image model can take hours, rather than by the
    // metrics afterwards.
    if (n < 2) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "-n must be at least 2: the metrics compare samples with each other, got " + n);
    }
    if (!images && n > QualityReport.MAX_SAMPLES) {
      throw new CommandLine.ParameterException(spec.commandLine(), "-n must be at most "
          + QualityReport.MAX_SAMPLES + ": the metrics compare every pair of samples, got " + n);
    }
    if (manifest.classes().isEmpty()
        && spec.commandLine().getParseResult().hasMatchedOption("--guidance")) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--guidance applies to"
          + " class-conditional models; " + manifest.id() + " has no classes");
    }
    if (!images && spec.commandLine().getParseResult().hasMatchedOption("--data-dir")) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--data-dir applies to"
          + " fashion-mnist models only; " + manifest.id() + " is not one");
    }
    int[] labels = null;
    if (!manifest.classes().isEmpty()) {
      labels = new int[n];
      for (int i = 0; i < n; i++) {
        labels[i] = i % manifest.classes().size();
      }
    }
    SamplingJob job;
    try {
      job = SamplingJob.of(samplerId, stepCount, n, seed).withLabels(labels, guidance);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    String summary;
    int nfe;
    try (NDManager manager = NDManager.newBaseManager();
        ModelStore.Loaded loaded = ModelStore.load(model, manager)) {
      TwoDimensionalDataset points = images ? null : dataset(manifest);
      FashionMnist.Split real = images ? realImages() : null;
      SamplingResult result = SamplingLoop.sample(loaded.model(), job, manager);
      nfe = result.nfe();
      if (images) {
        ImageQuality quality = ImageQuality.measure(ImageQuality.classifier(manager),
            result.samples(), labels, real);
        metrics.put("frechet", quality.frechet());
        metrics.put("frechetFloor", quality.frechetFloor());
        metrics.put("classAccuracy", quality.classAccuracy());
        metrics.put("guidance", guidance);
        summary = String.format("Fréchet distance %.4g (real vs real %.4g), class accuracy %.1f%%",
            quality.frechet(), quality.frechetFloor(), 100 * quality.classAccuracy());
      } else {
        QualityReport report =
            QualityReport.againstData(Samples.rows(result.samples()), points, seed);
        metrics.put("energy", report.generated().energy());
        metrics.put("energyFloor", report.floor().energy());
        metrics.put("mmdSquared", report.generated().mmdSquared());
        metrics.put("mmdSquaredFloor", report.floor().mmdSquared());
        metrics.put("slicedW2", report.generated().slicedWasserstein());
        metrics.put("slicedW2Floor", report.floor().slicedWasserstein());
        summary = report.summary();
      }
    }
    spec.commandLine().getOut().printf("%s with %s, %d steps (%d NFE)%s, %d samples: %s%n",
        manifest.id(), samplerId, stepCount, nfe,
        labels == null ? "" : String.format(", guidance %s", guidance), n, summary);
    if (record) {
      ModelManifest.Evaluation evaluation =
          new ModelManifest.Evaluation(samplerId, stepCount, nfe, n, seed, metrics);
      ModelStore.writeManifest(model,
          manifest.withTraining(manifest.training().withEvaluation(evaluation)));
    }
    return 0;
  }

  private FashionMnist.Split realImages() {
    FashionMnist.Split real;
    try {
      real = new FashionMnist(dataDir).test();
    } catch (IOException | IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    if (real.count() < 2 * n) {
      throw new CommandLine.ParameterException(spec.commandLine(), "-n must be at most "
          + real.count() / 2 + ": the metrics compare the samples with two sets of as many real"
          + " images, and the test split in " + dataDir + " has " + real.count() + ", got " + n);
    }
    return real;
  }

  private TwoDimensionalDataset dataset(ModelManifest manifest) {
    if (manifest.training() == null || manifest.training().dataset() == null) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          model + " names no training data set to compare against");
    }
    try {
      return TwoDimensionalDataset.fromId(manifest.training().dataset());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }
}
