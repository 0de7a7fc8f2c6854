package dev.streamline.models.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.streamline.models.data.FashionMnist;
import dev.streamline.models.data.TwoDimensionalDataset;
import dev.streamline.models.metrics.ImageQuality;
import dev.streamline.models.metrics.QualityReport;
import dev.streamline.models.metrics.Samples;
import dev.streamline.models.store.ModelManifest;
import dev.streamline.models.store.Conventions;
import dev.streamline.models.store.ModelStore;
import dev.streamline.sampler.Divergence;
import dev.streamline.sampler.Inspection;
import dev.streamline.sampler.LikelihoodResult;
import dev.streamline.sampler.Model;
import dev.streamline.sampler.SamplerCatalog;
import dev.streamline.sampler.SamplerOption;
import dev.streamline.sampler.SamplerOptions;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SamplingLoop;
import dev.streamline.sampler.SamplingResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code evaluate}: samples a model and measures the samples against fresh data, or with {@code
 * --likelihood} scores held-out data by the model's density.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = {"Sample a model and measure the samples: for 2D models energy distance, RBF"
        + " MMD² and sliced W2 against fresh data, each next to its data-vs-data floor; for"
        + " Fashion-MNIST models the classifier's Fréchet distance and class accuracy.",
        "With --likelihood, instead: the negative log-likelihood of held-out data (fresh points"
        + " of a 2D model's data set; the first -n images of the test split, dequantized and"
        + " with their labels, for Fashion-MNIST models) by the probability-flow ODE, as the"
        + " mean in nats and in bits/dim (−log₂p/D, + 7 for 8-bit images on [−1, 1]) with its"
        + " standard error."})
final class EvaluateCommand implements Callable<Integer> {

  /** Samples per likelihood run: one run for 2D data, batches that bound autograd's memory. */
  static final int POINTS_PER_RUN = 10_000;
  static final int IMAGES_PER_RUN = 64;
  /** Bins of 8-bit pixels on [−1, 1]: 256 of them, 2/256 wide. */
  private static final double PIXEL_BIN = 2.0 / 256;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, description = "model directory") Path model;
  @Option(names = "--sampler", description = "sampler id (default: the model's)") String sampler;
  @Option(names = "--steps", description = "steps (default: the model's)") Integer steps;
  @Option(names = "-n", defaultValue = "2000",
      description = "samples to draw (with --likelihood: held-out samples to score)") int n;
  @Option(names = "--seed", defaultValue = "0") long seed;
  @Option(names = "--guidance", defaultValue = "1.0",
      description = "classifier-free guidance scale for class-conditional models")
  double guidance;
  @Option(names = "--data-dir", defaultValue = FashionMnist.DEFAULT_DIRECTORY_NAME,
      description = "Fashion-MNIST IDX files, for image models (default: ${DEFAULT-VALUE})")
  Path dataDir;
  @Option(names = "--record", description = "write the result into model.json (not with"
      + " --likelihood: model.json records sample quality only)")
  boolean record;
  @Option(names = "--likelihood", description = "report the held-out negative log-likelihood"
      + " instead of sample quality (sampler default: the model's if Runge-Kutta, else dopri5)")
  boolean likelihood;
  @Option(names = "--divergence", description = "with --likelihood: exact or hutchinson"
      + " (default: exact up to " + Divergence.EXACT_BY_DEFAULT + " dimensions)")
  String divergence;
  @Option(names = "--probes", description = "with --divergence hutchinson: probes per sample"
      + " (default 1, at most " + Divergence.MAX_PROBES + ")")
  Integer probes;
  @Option(names = "--rtol", description = "with --likelihood: an adaptive sampler's relative"
      + " tolerance (default 1e-5)")
  Double rtol;
  @Option(names = "--atol", description = "with --likelihood: an adaptive sampler's absolute"
      + " tolerance (default 1e-5)")
  Double atol;

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
    if (!images && spec.commandLine().getParseResult().hasMatchedOption("--data-dir")) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--data-dir applies to"
          + " fashion-mnist models only; " + manifest.id() + " is not one");
    }
    if (likelihood) {
      return likelihood(manifest, conventions, images);
    }
    List<String> likelihoodOnly = matched("--divergence", "--probes", "--rtol", "--atol");
    if (!likelihoodOnly.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          String.join(", ", likelihoodOnly) + (likelihoodOnly.size() == 1 ? " applies" : " apply")
              + " to --likelihood only");
    }
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
      FashionMnist.Split real = images ? testSplit(2 * n, "the metrics compare the samples with"
          + " two sets of as many real images") : null;
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

  /**
   * The held-out NLL: fresh points of a 2D model's data set, drawn from {@code --seed} (the data
   * sets are continuous distributions and training draws its batches from streams of its own, so
   * no point was trained on), or the first {@code -n} test images, dequantized by uniform noise
   * in their 8-bit bins and scored with their labels by a class-conditional model (log p(x | y),
   * no guidance).
   */
  private int likelihood(ModelManifest manifest, Conventions conventions, boolean images) {
    CommandLine line = spec.commandLine();
    if (manifest.normalization() != null) {
      // The density would need the normalization's Jacobian, and the data its inverse map.
      throw new CommandLine.ParameterException(line, "--likelihood scores data in model space;"
          + " " + manifest.id() + " has a normalization, which it does not undo");
    }
    if (manifest.decoder() != null) {
      throw new CommandLine.ParameterException(line, "--likelihood scores data in model space,"
          + " which for " + manifest.id() + " is its decoder's latents; it takes no latent"
          + " test set");
    }
    if (images && !manifest.shape().equals(List.of(1, FashionMnist.SIDE, FashionMnist.SIDE))) {
      throw new CommandLine.ParameterException(line, "--likelihood scores image models on"
          + " Fashion-MNIST's test split, 1x28x28; " + manifest.id() + " has shape "
          + manifest.shape());
    }
    if (record) {
      throw new CommandLine.ParameterException(line, "--record writes sample quality into "
          + ModelStore.MANIFEST + ", which has no field for a likelihood; run --likelihood"
          + " without it");
    }
    if (line.getParseResult().hasMatchedOption("--guidance")) {
      throw new CommandLine.ParameterException(line, "--guidance applies to sampling;"
          + " --likelihood scores the model's own density, log p(x | y) with the data's labels"
          + " for a class-conditional model");
    }
    String samplerId = sampler != null ? sampler
        : SamplerCatalog.likelihoodSamplers().contains(conventions.defaultSampler())
            ? conventions.defaultSampler() : "dopri5";
    boolean adaptive;
    try {
      adaptive = SamplerCatalog.spec(samplerId).adaptive();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(line, e.getMessage());
    }
    if (adaptive && steps != null) {
      throw new CommandLine.ParameterException(line, "--steps applies to fixed-step samplers; "
          + samplerId + " chooses its own steps (set --rtol and --atol instead)");
    }
    if (!adaptive && (rtol != null || atol != null)) {
      List<String> given = matched("--rtol", "--atol");
      List<String> adaptiveSamplers = SamplerCatalog.likelihoodSamplers().stream()
          .filter(id -> SamplerCatalog.spec(id).adaptive()).toList();
      throw new CommandLine.ParameterException(line, String.join(" and ", given)
          + (given.size() == 1 ? " applies" : " apply") + " to the adaptive samplers "
          + adaptiveSamplers + ", not " + samplerId);
    }
    int stepCount = steps != null ? steps : conventions.defaultSteps();
    long dimensions = manifest.shape().stream().mapToLong(Integer::longValue)
        .reduce(1, Math::multiplyExact);
    Divergence.Kind kind;
    try {
      kind = divergence == null ? Divergence.defaultFor(new Shape(dimensions)).kind()
          : Divergence.Kind.fromId(divergence);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(line, "--" + e.getMessage());
    }
    if (probes != null && kind != Divergence.Kind.HUTCHINSON) {
      throw new CommandLine.ParameterException(line, "--probes applies to the hutchinson"
          + " divergence; the exact one takes one product per dimension");
    }
    Divergence div;
    try {
      div = kind == Divergence.Kind.EXACT ? Divergence.exact()
          : Divergence.hutchinson(probes == null ? 1 : probes);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(line, "--" + e.getMessage());
    }
    if (n < 2) {
      throw new CommandLine.ParameterException(line, "-n must be at least 2: the standard error"
          + " needs two held-out samples, got " + n);
    }
    if (!images && n > QualityReport.MAX_SAMPLES) {
      throw new CommandLine.ParameterException(line, "-n must be at most "
          + QualityReport.MAX_SAMPLES + " held-out points, got " + n);
    }
    SamplingJob template;
    try {
      SamplerOptions options = SamplerOptions.DEFAULT;
      if (rtol != null) {
        options = options.with(SamplerOption.RTOL, rtol);
      }
      if (atol != null) {
        options = options.with(SamplerOption.ATOL, atol);
      }
      // Checked before any data is read or the network loaded.
      template = SamplingJob.of(samplerId, stepCount, n, seed).withOptions(options)
          .withDataType(images ? DataType.FLOAT32 : DataType.FLOAT64).forLikelihood();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(line, e.getMessage());
    }
    Rows rows;
    int[] labels = null;
    String what;
    int perRun;
    if (images) {
      FashionMnist.Split test = testSplit(n, null);
      float[] pixels = dequantized(test, n, seed);
      if (!manifest.classes().isEmpty()) {
        labels = Arrays.copyOf(test.labels(), n);
      }
      Shape shape = new Shape(manifest.shape().stream().mapToLong(Integer::longValue).toArray());
      int size = Math.toIntExact(dimensions);
      rows = (m, from, count) -> m.create(
          Arrays.copyOfRange(pixels, size * from, size * (from + count)),
          new Shape(count).addAll(shape));
      what = n + " test images" + (labels == null ? "" : " with their labels") + ", dequantized";
      perRun = IMAGES_PER_RUN;
    } else {
      double[][] points = dataset(manifest).sample(n, seed);
      rows = (m, from, count) -> m.create(Arrays.copyOfRange(points, from, from + count));
      what = n + " held-out points";
      perRun = POINTS_PER_RUN;
    }
    Scores scores = run(template, div, labels, perRun, rows);
    return report(manifest, samplerId, stepCount, adaptive, div, dimensions, images, what,
        scores);
  }

  /** Samples {@code from} to {@code from + count} of the held-out data, in model space. */
  private interface Rows {
    NDArray get(NDManager manager, int from, int count);
  }

  private record Scores(double[] logLikelihood, int maxNfe, int runs) {}

  /** Runs of at most {@code perRun} samples; sample i draws its probes from seed + i. */
  private Scores run(SamplingJob template, Divergence div, int[] labels, int perRun,
      Rows rows) {
    int count = template.n();
    double[] logp = new double[count];
    int maxNfe = 0;
    int runs = 0;
    try (NDManager manager = NDManager.newBaseManager();
        ModelStore.Loaded loaded = ModelStore.load(model, manager)) {
      Model m = loaded.model();
      for (int from = 0; from < count; from += perRun) {
        int size = Math.min(perRun, count - from);
        SamplingJob job;
        try {
          job = new SamplingJob(template.sampler(), template.steps(), size, seed + from,
              1.0, labels == null ? null : Arrays.copyOfRange(labels, from, from + size),
              null, template.options(), false, template.dataType()).forModel(m).forLikelihood();
        } catch (IllegalArgumentException e) {
          // The model's own default options (an x0 clip) can make the job one to refuse.
          throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        try (NDManager batch = manager.newSubManager()) {
          LikelihoodResult result = SamplingLoop.likelihood(m, job, rows.get(batch, from, size),
              div, Inspection.NONE, batch);
          System.arraycopy(result.logLikelihood(), 0, logp, from, size);
          maxNfe = Math.max(maxNfe, result.nfe());
          runs++;
        }
      }
    }
    return new Scores(logp, maxNfe, runs);
  }

  private int report(ModelManifest manifest, String samplerId, int stepCount, boolean adaptive,
      Divergence div, long dimensions, boolean eightBit, String what, Scores scores) {
    double[] nll = new double[scores.logLikelihood().length];
    for (int i = 0; i < nll.length; i++) {
      nll[i] = -scores.logLikelihood()[i];
    }
    double mean = Arrays.stream(nll).average().orElseThrow();
    double squares = Arrays.stream(nll).map(v -> (v - mean) * (v - mean)).sum();
    double error = Math.sqrt(squares / (nll.length - 1) / nll.length);
    if (!Double.isFinite(mean)) {
      throw new IllegalStateException("the log-likelihood of " + what + " is not finite ("
          + mean + "); try a smaller --rtol or more --steps");
    }
    // bitsPerDim is affine in log p: the mean and its error map as the samples do.
    double bits = LikelihoodResult.bitsPerDim(-mean, dimensions, eightBit);
    double bitsError = error / (dimensions * Math.log(2));
    String solver = adaptive ? samplerId + ", adaptive" + tolerances()
        : samplerId + ", " + stepCount + " steps";
    String nfe = scores.runs() == 1 ? scores.maxNfe() + " NFE"
        : "at most " + scores.maxNfe() + " NFE in each of " + scores.runs() + " runs";
    String divergenceText = div.kind() == Divergence.Kind.EXACT ? "exact divergence"
        : "hutchinson divergence, " + div.probes() + (div.probes() == 1 ? " probe" : " probes");
    spec.commandLine().getOut().printf("%s likelihood with %s (%s), %s, %s: NLL %.4f ± %.4f"
        + " nats, %.4f ± %.4f bits/dim%n", manifest.id(), solver, nfe, divergenceText, what,
        mean, error, bits, bitsError);
    return 0;
  }

  private String tolerances() {
    List<String> given = new ArrayList<>();
    if (rtol != null) {
      given.add("rtol " + String.valueOf(rtol).replace('E', 'e'));
    }
    if (atol != null) {
      given.add("atol " + String.valueOf(atol).replace('E', 'e'));
    }
    return given.stream().map(text -> ", " + text).reduce("", String::concat);
  }

  /**
   * The first {@code count} images, each pixel moved by uniform noise within its 8-bit bin (2/256
   * wide, centred on the pixel's value): the density of such data bounds the discrete
   * likelihood, which makes −log₂p/D + 7 an upper bound on the bits/dim of the 8-bit images.
   */
  static float[] dequantized(FashionMnist.Split split, int count, long seed) {
    int size = count * split.pixelsPerImage();
    float[] out = new float[size];
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < size; i++) {
      out[i] = (float) (split.pixels()[i] + (random.nextDouble() - 0.5) * PIXEL_BIN);
    }
    return out;
  }

  /** The options among these that the command line gave. */
  private List<String> matched(String... names) {
    List<String> out = new ArrayList<>();
    for (String name : names) {
      if (spec.commandLine().getParseResult().hasMatchedOption(name)) {
        out.add(name);
      }
    }
    return out;
  }

  /**
   * The test split of --data-dir, which must hold {@code needed} images.
   *
   * @param why what the images are for, when more than n are needed; null when n are
   */
  private FashionMnist.Split testSplit(int needed, String why) {
    FashionMnist.Split test;
    try {
      test = new FashionMnist(dataDir).test();
    } catch (IOException | IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    if (test.count() < needed) {
      throw new CommandLine.ParameterException(spec.commandLine(), "-n must be at most "
          + test.count() * n / needed + ": " + (why == null ? "" : why + ", and ")
          + "the test split in " + dataDir + " has " + test.count()
          + (why == null ? " images" : "") + ", got " + n);
    }
    return test;
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
