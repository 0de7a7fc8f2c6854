package dev.streamline.loadtest;

import dev.streamline.models.data.FashionMnist;
import dev.streamline.models.data.TwoDimensionalDataset;
import dev.streamline.models.metrics.QualityReport;
import dev.streamline.sampler.Divergence;
import dev.streamline.sampler.analytic.GaussianMixture;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * {@code sweep}: its options, checked against each other and against what the service serves,
 * make a {@link SweepPlan} and a {@link QualityMeter}, which a {@link SweepRunner} runs.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
      "Drive a Streamline service with each sampler at each step count (adaptive samplers at each"
          + " tolerance) and measure latency, throughput, server batching and the quality of the"
          + " samples received.",
      "Writes results.csv, results.json, PNG charts and report.md to --out."})
final class SweepCommand implements Callable<Integer> {

  /** Fashion-MNIST's test split has 10,000 images; the metric takes twice the sample count. */
  private static final int MAX_IMAGE_QUALITY_SAMPLES = 5000;

  /** Held-out points: enough for a standard error in the third digit, few enough to hold. */
  private static final int MAX_LIKELIHOOD_SAMPLES = 10_000;

  /** Each request in flight takes a thread and a connection of this machine's. */
  private static final int MAX_CONCURRENCY = 10_000;

  /**
   * Open-loop requests start when due, answered or not: much faster, and what gets measured is the
   * client itself, until the requests in flight fill its heap.
   */
  private static final double MAX_RATE = 10_000;

  /**
   * Longer would overflow the nanosecond deadlines of the cells; no cell needs a day, and no
   * request either (the service's own request timeout is at most a day).
   */
  private static final Duration MAX_PHASE = Duration.ofDays(1);

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--url", defaultValue = "http://localhost:8080",
      description = "service base URL (default: ${DEFAULT-VALUE})")
  String url;

  @Option(names = "--model", required = true, description = "model id, as in GET /v1/models")
  String model;

  @Option(names = "--samplers", required = true, split = ",", paramLabel = "ID",
      description = "sampler ids, comma-separated")
  List<String> samplers;

  @Option(names = "--steps", split = ",", defaultValue = "1,2,4,8,16,32,64,128",
      description = "step counts for fixed-step samplers (default: ${DEFAULT-VALUE})")
  List<Integer> steps;

  @Option(names = "--tolerances", split = ",", defaultValue = "1e-2,1e-3,1e-4",
      description = "rtol = atol values for adaptive samplers (dopri5, bosh3), which take no step"
          + " count (default: ${DEFAULT-VALUE})")
  List<Double> tolerances;

  @Option(names = "--concurrency", defaultValue = "16",
      description = "closed loop: requests in flight (default: ${DEFAULT-VALUE})")
  int concurrency;

  @Option(names = "--duration", converter = DurationConverter.class,
      description = "measured time per cell, e.g. 20s (default: 20s unless --requests is given)")
  Duration duration;

  @Option(names = "--requests", description = "measured requests per cell, instead of --duration")
  Long requestCount;

  @Option(names = "--rate", description = "open loop: start this many requests per second,"
      + " whatever the answers (default: closed loop)")
  Double rate;

  @Option(names = {"-n", "--n"}, defaultValue = "64",
      description = "samples per request (default: ${DEFAULT-VALUE})")
  int n;

  @Option(names = "--seed", defaultValue = "0",
      description = "seed of the first sample; sample i has seed+i (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--guidance",
      description = "classifier-free guidance scale, class-conditional models only")
  Double guidance;

  @Option(names = "--warmup", converter = DurationConverter.class, defaultValue = "2s",
      description = "unmeasured closed-loop load before each cell (default: ${DEFAULT-VALUE})")
  Duration warmup;

  @Option(names = "--quality-samples", defaultValue = "2000",
      description = "samples per cell the quality metrics use; 0 turns them off"
          + " (default: ${DEFAULT-VALUE})")
  int qualitySamples;

  @Option(names = "--likelihood-samples", defaultValue = "256",
      description = "held-out points whose likelihood each cell of a likelihood sampler"
          + " (euler … dopri5) integrates; 0 turns it off (default: ${DEFAULT-VALUE})")
  int likelihoodSamples;

  @Option(names = "--divergence", description = "likelihood divergence: exact or hutchinson"
      + " (default: the server's, exact up to 16 dimensions)")
  String divergence;

  @Option(names = "--probes", description = "Hutchinson probes per point and step (default: the"
      + " server's, 1)")
  Integer probes;

  @Option(names = "--data-dir", defaultValue = FashionMnist.DEFAULT_DIRECTORY_NAME,
      description = "Fashion-MNIST IDX files, for image models (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(names = "--reference-tolerance", defaultValue = "1e-9",
      description = "analytic models: rtol = atol of the dopri5 solve that the exact-solution"
          + " error is measured against (default: ${DEFAULT-VALUE})")
  double referenceTolerance;

  @Option(names = "--timeout", converter = DurationConverter.class, defaultValue = "120s",
      description = "per-request timeout (default: ${DEFAULT-VALUE})")
  Duration timeout;

  @Option(names = "--server-setting", paramLabel = "NAME=VALUE",
      description = "a server setting to name in the report, where /actuator/info does not (such"
          + " as streamline.batching.max-batch-size=256); repeatable")
  Map<String, String> serverSettings = new LinkedHashMap<>();

  @Option(names = "--out", required = true, description = "output directory")
  Path out;

  @Option(names = "--no-progress", description = "no progress bar (for logs)")
  boolean noProgress;

  @Override
  public Integer call() throws Exception {
    validate();
    ServiceClient client = new ServiceClient(baseUri(), timeout);
    Map<String, JsonNode> served = byId(client.models());
    if (!served.containsKey(model)) {
      throw bad("unknown model '" + model + "'; " + client.base() + " serves: "
          + (served.isEmpty() ? "none" : String.join(", ", served.keySet()))
          + (client.ready() ? "" : " (it is not ready yet: models are still loading)"));
    }
    Map<String, JsonNode> known = byId(client.samplers());
    for (String sampler : samplers) {
      if (!known.containsKey(sampler)) {
        throw bad("unknown sampler '" + sampler + "'; known: " + String.join(", ", known.keySet()));
      }
    }
    JsonNode info = client.model(model);
    int classes = info.path("classes").size();
    if (guidance != null && classes == 0) {
      throw bad("--guidance applies to class-conditional models; " + model + " has no classes");
    }
    Requests bodies = new Requests(seed, classes, guidance);
    SweepPlan plan = new SweepPlan(SweepPlan.cells(samplers, known, steps, tolerances), known,
        bodies, n, warmup.isZero() ? null : new LoadDriver.Load(concurrency, warmup, null, null),
        new LoadDriver.Load(concurrency, requestCount == null ? duration : null, requestCount, rate),
        qualitySamples);
    FashionMnist.Split testImages = testImages(info);
    HeldOutLikelihood likelihood = likelihood(info, client, testImages);
    try (QualityMeter meter = meter(info, client, bodies, testImages)) {
      SweepRunner runner = new SweepRunner(client, model, meter, likelihood);
      List<CellResult> rows = runner.run(plan, noProgress);
      String command = "java -jar loadtest/target/loadtest.jar "
          + String.join(" ", spec.commandLine().getParseResult().originalArgs());
      runner.write(out, info, command, settings(info), serverSettings, rows,
          spec.commandLine().getOut());
    }
    return 0;
  }

  private Map<String, String> settings(JsonNode info) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("mode", rate == null
        ? "closed loop, " + concurrency + " requests in flight"
        : "open loop, " + rate + " requests/s");
    settings.put("per cell", requestCount != null ? requestCount + " requests"
        : duration.toMillis() / 1000.0 + " s");
    settings.put("warm-up per cell", warmup.toMillis() / 1000.0 + " s");
    settings.put("samples per request", Integer.toString(n));
    settings.put("seed", Long.toString(seed));
    if (guidance != null) {
      settings.put("guidance", guidance.toString());
    }
    settings.put("quality samples", Integer.toString(qualitySamples));
    settings.put("likelihood samples", likelihoodSamples == 0 ? "0 (off)"
        : Integer.toString(likelihoodSamples));
    if (likelihoodSamples > 0) {
      settings.put("likelihood divergence", (divergence == null ? "server default" : divergence)
          + (probes == null ? "" : ", " + probes + " probes"));
    }
    if (info.path("target").isObject()) {
      settings.put("exact-solution reference", AnalyticQuality.REFERENCE_SAMPLER
          + " at rtol = atol = " + Report.fmt(referenceTolerance));
    }
    settings.put("request timeout", timeout.toMillis() / 1000.0 + " s");
    return settings;
  }

  private static boolean images(JsonNode info) {
    JsonNode dataset = info.path("dataset");
    return dataset.isString() && dataset.stringValue().equals("fashion-mnist");
  }

  /**
   * Fashion-MNIST's test split where an image model's quality or likelihood needs it; otherwise
   * null, and no data set is read.
   */
  private FashionMnist.Split testImages(JsonNode info) {
    if (!images(info)) {
      if (spec.commandLine().getParseResult().hasMatchedOption("--data-dir")) {
        throw bad("--data-dir applies to fashion-mnist models only; " + model + " is not one");
      }
      return null;
    }
    if (qualitySamples > MAX_IMAGE_QUALITY_SAMPLES) {
      throw bad("--quality-samples is " + qualitySamples + "; the Fashion-MNIST metrics compare"
          + " with twice as many test images and allow at most " + MAX_IMAGE_QUALITY_SAMPLES);
    }
    if (qualitySamples == 0 && likelihoodSamples == 0) {
      return null;
    }
    FashionMnist.Split test;
    try {
      test = new FashionMnist(dataDir).test();
    } catch (IOException e) {
      throw bad("--data-dir: " + e.getMessage());
    }
    if (likelihoodSamples > test.count()) {
      throw bad("--likelihood-samples is " + likelihoodSamples + "; the test split in " + dataDir
          + " holds " + test.count() + " images");
    }
    return test;
  }

  /** The held-out likelihood, or null where it is off. */
  private HeldOutLikelihood likelihood(JsonNode info, ServiceClient client,
      FashionMnist.Split testImages) {
    if (likelihoodSamples == 0) {
      return null;
    }
    HeldOutLikelihood.HeldOut data;
    JsonNode dataset = info.path("dataset");
    if (info.path("target").isObject()) {
      data = HeldOutLikelihood.HeldOut.ofMixture(target(info, client), likelihoodSamples, seed);
    } else if (testImages != null) {
      data = HeldOutLikelihood.HeldOut.ofImages(testImages, likelihoodSamples,
          info.path("classes").size() > 0, seed);
    } else if (dataset.isString()) {
      data = HeldOutLikelihood.HeldOut.ofDataset(dataset(dataset), likelihoodSamples, seed);
    } else {
      throw new IllegalStateException(model + " names neither a training data set nor an analytic"
          + " target, so it has no held-out data; --likelihood-samples 0 leaves likelihood out");
    }
    List<Integer> shape = new ArrayList<>();
    info.path("shape").forEach(axis -> shape.add(axis.asInt()));
    return new HeldOutLikelihood(client, model, shape, data, divergence, probes, seed,
        Thread::sleep);
  }

  private QualityMeter meter(JsonNode info, ServiceClient client, Requests bodies,
      FashionMnist.Split testImages) {
    if (info.path("target").isObject()) {
      return new AnalyticQuality(target(info, client), seed, client, model, bodies,
          referenceTolerance, Thread::sleep);
    }
    if (images(info)) {
      // Without quality samples no cell will be scored, so neither the test images nor the
      // classifier are needed; the other meters load nothing before their first measurement.
      return qualitySamples == 0
          ? new QualityMeter.Unmeasured(ImageQualityMeter.PRIMARY, ImageQualityMeter.METRICS)
          : new ImageQualityMeter(testImages, bodies);
    }
    JsonNode dataset = info.path("dataset");
    if (dataset.isString()) {
      return new DataQuality(dataset(dataset), seed);
    }
    throw new IllegalStateException(model + " names neither a training data set nor an analytic"
        + " target, so its samples cannot be scored");
  }

  private GaussianMixture target(JsonNode info, ServiceClient client) {
    try {
      return AnalyticQuality.target(info.path("target"));
    } catch (JacksonException e) {
      throw new IllegalStateException(client.base() + "v1/models/" + model + " answers a target"
          + " that is not a Gaussian mixture: " + e.getOriginalMessage());
    }
  }

  private TwoDimensionalDataset dataset(JsonNode dataset) {
    try {
      return TwoDimensionalDataset.fromId(dataset.stringValue());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(model + " was trained on " + e.getMessage());
    }
  }

  private void validate() {
    for (int s : steps) {
      if (s <= 0) {
        throw bad("--steps must be positive, got " + s);
      }
    }
    for (double t : tolerances) {
      if (!(t > 0 && t < 1)) {
        throw bad("--tolerances must lie in (0, 1), got " + t);
      }
    }
    if (samplers.isEmpty() || samplers.stream().anyMatch(String::isBlank)) {
      throw bad("--samplers needs at least one sampler id");
    }
    if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw bad("--concurrency must be at least 1 and at most " + MAX_CONCURRENCY + ", got "
          + concurrency);
    }
    if (n < 1) {
      throw bad("-n must be at least 1, got " + n);
    }
    if (duration != null && requestCount != null) {
      throw bad("give --duration or --requests, not both");
    }
    if (duration == null && requestCount == null) {
      duration = Duration.ofSeconds(20);
    }
    if (duration != null) {
      checkPhase("--duration", duration, false);
    }
    if (requestCount != null && requestCount < 1) {
      throw bad("--requests must be at least 1, got " + requestCount);
    }
    if (rate != null && !(rate > 0 && rate <= MAX_RATE)) {
      throw bad("--rate must be a positive number of requests per second, at most "
          + (int) MAX_RATE + ", got " + rate);
    }
    checkPhase("--warmup", warmup, true);
    if (qualitySamples < 0 || qualitySamples == 1 || qualitySamples > QualityReport.MAX_SAMPLES) {
      throw bad("--quality-samples must be 0 (off) or from 2 to " + QualityReport.MAX_SAMPLES
          + " (the metrics compare every pair of samples), got " + qualitySamples);
    }
    if (likelihoodSamples < 0 || likelihoodSamples > MAX_LIKELIHOOD_SAMPLES) {
      throw bad("--likelihood-samples must be 0 (off) or from 1 to " + MAX_LIKELIHOOD_SAMPLES
          + ", got " + likelihoodSamples);
    }
    try {
      Divergence.Kind kind = divergence == null ? null : Divergence.Kind.fromId(divergence);
      if (probes != null && kind != Divergence.Kind.HUTCHINSON) {
        throw bad("--probes applies to --divergence hutchinson");
      }
      if (probes != null) {
        Divergence.hutchinson(probes);
      }
    } catch (IllegalArgumentException e) {
      // The service's own check, in its own words: --divergence must be ..., --probes must be ...
      throw bad("--" + e.getMessage());
    }
    if (!(referenceTolerance > 0 && referenceTolerance < 1)) {
      throw bad("--reference-tolerance must lie in (0, 1), got " + referenceTolerance);
    }
    checkPhase("--timeout", timeout, false);
    String outProblem = OutputDirectory.problem(out, SweepRunner.OUTPUTS);
    if (outProblem != null) {
      throw bad(outProblem);
    }
  }

  /** Positive, or with {@code zeroAllowed} not negative; at most a day. */
  private void checkPhase(String option, Duration value, boolean zeroAllowed) {
    if (value.isNegative() || value.isZero() && !zeroAllowed) {
      throw bad(option + (zeroAllowed ? " must not be negative" : " must be positive") + ", got "
          + value);
    }
    if (value.compareTo(MAX_PHASE) > 0) {
      throw bad(option + " must be at most a day, got " + value);
    }
  }

  private URI baseUri() {
    try {
      URI uri = new URI(url);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
          || uri.getHost() == null) {
        throw bad("--url must be an http(s) URL such as http://localhost:8080, got '" + url + "'");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw bad("--url '" + url + "' is not a URL: " + e.getReason());
    }
  }

  private static Map<String, JsonNode> byId(JsonNode array) {
    Map<String, JsonNode> byId = new LinkedHashMap<>();
    for (JsonNode node : array) {
      byId.put(node.path("id").asString(""), node);
    }
    return byId;
  }

  private CommandLine.ParameterException bad(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
