package dev.streamline.models.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.streamline.models.data.TwoDimensionalDataset;
import dev.streamline.models.metrics.QualityReport;
import dev.streamline.models.store.ModelManifest;
import dev.streamline.models.store.ModelStore;
import dev.streamline.sampler.SamplingRequest;
import dev.streamline.sampler.SamplingResult;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code evaluate}: samples a model and measures the samples against fresh data. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Sample a model and print energy distance, RBF MMD² and sliced W2 against fresh"
        + " data samples, each next to its data-vs-data floor.")
final class EvaluateCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, description = "model directory") Path model;
  @Option(names = "--sampler", description = "sampler id (default: the model's)") String sampler;
  @Option(names = "--steps", description = "steps (default: the model's)") Integer steps;
  @Option(names = "-n", defaultValue = "2000", description = "samples to draw") int n;
  @Option(names = "--seed", defaultValue = "0") long seed;
  @Option(names = "--record", description = "write the result into model.json")
  boolean record;

  @Override
  public Integer call() {
    ModelManifest manifest = ModelStore.readManifest(model);
    TwoDimensionalDataset data = dataset(manifest);
    String samplerId = sampler != null ? sampler : manifest.defaultSampler();
    int stepCount = steps != null ? steps : manifest.defaultSteps();
    SamplingRequest request;
    try {
      request = SamplingRequest.of(samplerId, stepCount, n, seed);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    double[][] generated;
    int nfe;
    try (NDManager manager = NDManager.newBaseManager()) {
      ModelStore.Loaded loaded = ModelStore.load(model, manager);
      SamplingResult result = dev.streamline.sampler.Sampling.sample(loaded.model(), request,
          manager);
      generated = rows(result.samples());
      nfe = result.nfe();
    }
    SplittableRandom random = new SplittableRandom(seed);
    QualityReport report = QualityReport.evaluate(generated, data.sample(n, random.nextLong()),
        data.sample(n, random.nextLong()), seed);
    spec.commandLine().getOut().printf("%s with %s, %d steps (%d NFE), %d samples: %s%n",
        manifest.id(), samplerId, stepCount, nfe, n, report.summary());
    if (record) {
      Map<String, Double> metrics = new LinkedHashMap<>();
      metrics.put("energy", report.generated().energy());
      metrics.put("energyFloor", report.floor().energy());
      metrics.put("mmdSquared", report.generated().mmdSquared());
      metrics.put("mmdSquaredFloor", report.floor().mmdSquared());
      metrics.put("slicedW2", report.generated().slicedWasserstein());
      metrics.put("slicedW2Floor", report.floor().slicedWasserstein());
      ModelManifest.Evaluation evaluation =
          new ModelManifest.Evaluation(samplerId, stepCount, nfe, n, seed, metrics);
      ModelStore.writeManifest(model,
          manifest.withTraining(manifest.training().withEvaluation(evaluation)));
    }
    return 0;
  }

  private TwoDimensionalDataset dataset(ModelManifest manifest) {
    if (manifest.training() == null || manifest.training().dataset() == null) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          model + " names no training data set to compare against");
    }
    try {
      return TwoDimensionalDataset.fromId(manifest.training().dataset());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "evaluate compares 2D models only; " + e.getMessage());
    }
  }

  private static double[][] rows(NDArray samples) {
    double[] flat = samples.toType(DataType.FLOAT64, false).toDoubleArray();
    int count = (int) samples.getShape().get(0);
    int d = flat.length / count;
    double[][] out = new double[count][];
    for (int i = 0; i < count; i++) {
      out[i] = Arrays.copyOfRange(flat, i * d, (i + 1) * d);
    }
    return out;
  }
}
