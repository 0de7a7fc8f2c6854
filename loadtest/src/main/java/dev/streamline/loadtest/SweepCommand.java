package dev.streamline.loadtest;

import dev.streamline.models.data.FashionMnist;
import dev.streamline.models.data.TwoDimensionalDataset;
import dev.streamline.models.metrics.QualityReport;
import dev.streamline.sampler.analytic.GaussianMixture;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.DoubleConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** {@code sweep}: drives every (sampler, steps) cell and writes results, charts and a report. */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
      "Drive a Streamline service with each sampler at each step count (adaptive samplers at each"
          + " tolerance) and measure latency, throughput, server batching and the quality of the"
          + " samples received.",
      "Writes results.csv, results.json, PNG charts and report.md to --out."})
final class SweepCommand implements Callable<Integer> {

  /** Fashion-MNIST's test split has 10,000 images; the metric takes twice the sample count. */
  private static final int MAX_IMAGE_QUALITY_SAMPLES = 5000;

  private static final int PROGRESS_UNITS = 1000;

  /** Attempts at the quality samples that the measured phase did not deliver. */
  private static final int QUALITY_ROUNDS = 5;

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

  /** What {@link #write} puts in --out. */
  private static final List<String> OUTPUTS = List.of("results.csv", "results.json", "report.md",
      Charts.QUALITY, Charts.LATENCY, Charts.THROUGHPUT, Charts.PARETO, Charts.EXACT_ERROR);

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
    List<Cell> cells = cells(known);
    List<CellResult> rows = new ArrayList<>();
    try (QualityMeter meter = meter(info, client, bodies)) {
      LoadDriver driver = new LoadDriver(client, model, Thread::sleep);
      try (ProgressBar bar = noProgress ? null : progressBar(cells.size())) {
        for (int i = 0; i < cells.size(); i++) {
          Cell cell = cells.get(i);
          int done = i;
          DoubleConsumer progress = bar == null ? f -> { } : f -> {
            bar.stepTo((long) ((done + Math.min(f, 1)) * PROGRESS_UNITS));
          };
          if (bar != null) {
            bar.setExtraMessage(cell.label());
          }
          rows.add(runCell(client, driver, meter, bodies, cell,
              known.get(cell.sampler()), progress));
          if (bar != null) {
            bar.stepTo((long) (i + 1) * PROGRESS_UNITS);
          }
        }
      }
      write(client, info, meter, rows);
    }
    return 0;
  }

  private CellResult runCell(ServiceClient client, LoadDriver driver, QualityMeter meter,
      Requests bodies, Cell cell, JsonNode sampler, DoubleConsumer progress)
      throws ServiceException {
    long qualityRequests = (qualitySamples + (long) n - 1) / n;
    CellRequests source = new CellRequests(bodies, cell, n, qualityRequests);
    if (!warmup.isZero()) {
      failIfNothingWorked(cell, driver.run(new CellRequests(bodies, cell, n, 0),
          new LoadDriver.Load(concurrency, warmup, null, null), f -> { }));
    }
    String before = client.prometheus();
    LoadDriver.Outcome outcome = driver.run(source,
        new LoadDriver.Load(concurrency, requestCount == null ? duration : null, requestCount, rate),
        progress);
    String after = client.prometheus();
    failIfNothingWorked(cell, outcome);

    Map<Long, ReceivedSamples> kept = new HashMap<>(outcome.kept());
    List<Long> missing = new ArrayList<>();
    for (long k = 0; k < qualityRequests; k++) {
      if (!kept.containsKey(k)) {
        missing.add(k);
      }
    }
    // A short or failing cell gets its quality samples after the measured phase, so that every
    // cell is scored on the same seeds; rejected requests (429 under overload) are tried again.
    kept.putAll(driver.runUntilAnswered(source, missing, concurrency, QUALITY_ROUNDS));
    List<Integer> indices = new ArrayList<>();
    List<float[]> samples = new ArrayList<>();
    for (long k = 0; k < qualityRequests; k++) {
      ReceivedSamples received = kept.get(k);
      if (received == null) {
        continue;
      }
      int width = received.width();
      for (int j = 0; j < received.count() && samples.size() < qualitySamples; j++) {
        indices.add((int) (k * n + j));
        samples.add(Arrays.copyOfRange(received.values(), j * width, (j + 1) * width));
      }
    }
    Map<String, Double> quality;
    try {
      quality = samples.size() < 2 ? Map.of()
          : meter.measure(indices.stream().mapToInt(Integer::intValue).toArray(),
              samples.toArray(float[][]::new), !sampler.path("stochastic").asBoolean(true));
    } catch (IllegalArgumentException e) {
      // Such as samples of another dimension than the model's data: the server's doing, and the
      // metrics' own words would not say so.
      throw new IllegalStateException("cell " + cell.label() + ": the samples the server answered"
          + " cannot be scored: " + e.getMessage(), e);
    }

    PrometheusText.Averages server = before != null && after != null
        ? PrometheusText.parse(after).averagesSince(PrometheusText.parse(before), model)
        : new PrometheusText.Averages(Double.NaN, Double.NaN, Double.NaN);
    Histogram latencies = outcome.latencies();
    double seconds = outcome.seconds();
    return new CellResult(cell, outcome.meanNfe(), outcome.succeeded(), outcome.errors(), seconds,
        outcome.succeeded() / seconds, outcome.samples() / seconds,
        millis(latencies.getValueAtPercentile(50)), millis(latencies.getValueAtPercentile(90)),
        millis(latencies.getValueAtPercentile(99)), millis(latencies.getMaxValue()),
        latencies.getMean() / 1000, server.forwardBatchSize(), server.queueWaitSeconds() * 1000,
        server.requestsPerRun(), quality.isEmpty() ? 0 : samples.size(), quality);
  }

  /**
   * Request k of a cell carries samples k·n … k·n + n − 1; the first {@code keptRequests} keep
   * their samples for the quality metrics.
   */
  private record CellRequests(Requests bodies, Cell cell, int n, long keptRequests)
      implements LoadDriver.RequestSource {

    @Override
    public ObjectNode body(long k) {
      return bodies.body(cell, k * n, n);
    }

    @Override
    public boolean keep(long k) {
      return k < keptRequests;
    }
  }

  /** A cell in which not one request succeeded says nothing; the server's answer is the news. */
  private static void failIfNothingWorked(Cell cell, LoadDriver.Outcome outcome)
      throws ServiceException {
    if (outcome.succeeded() == 0 && outcome.lastError() != null) {
      ServiceException last = outcome.lastError();
      throw new ServiceException(last.status(), "cell " + cell.label() + ": all "
          + outcome.failed() + " requests failed; " + last.getMessage());
    }
  }

  private static double millis(long micros) {
    return micros / 1000.0;
  }

  private void write(ServiceClient client, JsonNode info, QualityMeter meter,
      List<CellResult> rows) throws IOException {
    Map<String, String> settings = settings(info);
    ObjectNode sweep = JsonNodeFactory.instance.objectNode();
    sweep.put("url", client.base().toString());
    settings.forEach(sweep::put);
    String command = "java -jar loadtest/target/loadtest.jar "
        + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    JsonNode serverInfo = client.info();
    try {
      OutputDirectory.write(out, dir -> {
        Results.writeCsv(dir.resolve("results.csv"), model, meter.metrics(), rows);
        Results.writeJson(dir.resolve("results.json"), model, sweep, meter.metrics(), rows);
        Map<String, String> charts = Charts.write(dir, model, meter, rows);
        Report.write(dir.resolve("report.md"), new Report.Inputs(model, info, serverInfo,
            serverSettings, client.base().toString(), command, settings, Machine.current(),
            meter, rows, charts));
      });
    } catch (IOException e) {
      // Some file-system exceptions carry only the path in their message.
      throw new IOException("--out " + out + " cannot be written: " + e.getClass().getSimpleName()
          + ": " + e.getMessage(), e);
    }
    PrintWriter stdout = spec.commandLine().getOut();
    String primary = meter.primary();
    for (CellResult row : rows) {
      stdout.printf(Locale.ROOT, "%-24s NFE %-7s p99 %9s ms  %9s samples/s  %s %s (floor %s)%s%n",
          row.cell().label(), Report.fmt(row.nfe()), Report.fmt(row.p99Ms()),
          Report.fmt(row.samplesPerSecond()), primary, Report.fmt(row.metric(primary)),
          Report.fmt(row.metric(meter.primaryFloor())),
          row.errors() == 0 ? "" : "  errors " + row.errorsByStatus());
    }
    stdout.println("wrote " + out.resolve("report.md"));
    stdout.flush();
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
    if (info.path("target").isObject()) {
      settings.put("exact-solution reference", AnalyticQuality.REFERENCE_SAMPLER
          + " at rtol = atol = " + Report.fmt(referenceTolerance));
    }
    settings.put("request timeout", timeout.toMillis() / 1000.0 + " s");
    return settings;
  }

  private QualityMeter meter(JsonNode info, ServiceClient client, Requests bodies)
      throws IOException {
    JsonNode dataset = info.path("dataset");
    boolean images = dataset.isString() && dataset.stringValue().equals("fashion-mnist");
    if (!images && spec.commandLine().getParseResult().hasMatchedOption("--data-dir")) {
      throw bad("--data-dir applies to fashion-mnist models only; " + model + " is not one");
    }
    if (info.path("target").isObject()) {
      GaussianMixture target;
      try {
        target = AnalyticQuality.target(info.path("target"));
      } catch (JacksonException e) {
        throw new IllegalStateException(client.base() + "v1/models/" + model + " answers a target"
            + " that is not a Gaussian mixture: " + e.getOriginalMessage());
      }
      return new AnalyticQuality(target, seed, client, model, bodies, referenceTolerance,
          Thread::sleep);
    }
    if (images) {
      if (qualitySamples > MAX_IMAGE_QUALITY_SAMPLES) {
        throw bad("--quality-samples is " + qualitySamples + "; the Fashion-MNIST metrics compare"
            + " with twice as many test images and allow at most " + MAX_IMAGE_QUALITY_SAMPLES);
      }
      if (qualitySamples == 0) {
        // No cell will be scored, so neither the test images nor the classifier are needed; the
        // other meters load nothing before their first measurement.
        return new QualityMeter.Unmeasured(ImageQualityMeter.PRIMARY, ImageQualityMeter.METRICS);
      }
      FashionMnist.Split real;
      try {
        real = new FashionMnist(dataDir).test();
      } catch (IOException e) {
        throw bad("--data-dir: " + e.getMessage());
      }
      return new ImageQualityMeter(real, bodies);
    }
    if (dataset.isString()) {
      try {
        return new DataQuality(TwoDimensionalDataset.fromId(dataset.stringValue()), seed);
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(model + " was trained on " + e.getMessage());
      }
    }
    throw new IllegalStateException(model + " names neither a training data set nor an analytic"
        + " target, so its samples cannot be scored");
  }

  private List<Cell> cells(Map<String, JsonNode> known) {
    List<Cell> cells = new ArrayList<>();
    for (String sampler : samplers) {
      if (known.get(sampler).path("adaptive").asBoolean(false)) {
        tolerances.forEach(t -> cells.add(Cell.adaptive(sampler, t)));
      } else {
        steps.forEach(s -> cells.add(Cell.fixed(sampler, s)));
      }
    }
    return cells;
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
    if (duration != null && (duration.isNegative() || duration.isZero())) {
      throw bad("--duration must be positive, got " + duration);
    }
    if (duration != null && duration.compareTo(MAX_PHASE) > 0) {
      throw bad("--duration must be at most a day, got " + duration);
    }
    if (requestCount != null && requestCount < 1) {
      throw bad("--requests must be at least 1, got " + requestCount);
    }
    if (rate != null && !(rate > 0 && rate <= MAX_RATE)) {
      throw bad("--rate must be a positive number of requests per second, at most "
          + (int) MAX_RATE + ", got " + rate);
    }
    if (warmup.isNegative()) {
      throw bad("--warmup must not be negative, got " + warmup);
    }
    if (warmup.compareTo(MAX_PHASE) > 0) {
      throw bad("--warmup must be at most a day, got " + warmup);
    }
    if (qualitySamples < 0 || qualitySamples == 1 || qualitySamples > QualityReport.MAX_SAMPLES) {
      throw bad("--quality-samples must be 0 (off) or from 2 to " + QualityReport.MAX_SAMPLES
          + " (the metrics compare every pair of samples), got " + qualitySamples);
    }
    if (!(referenceTolerance > 0 && referenceTolerance < 1)) {
      throw bad("--reference-tolerance must lie in (0, 1), got " + referenceTolerance);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw bad("--timeout must be positive, got " + timeout);
    }
    if (timeout.compareTo(MAX_PHASE) > 0) {
      throw bad("--timeout must be at most a day, got " + timeout);
    }
    String outProblem = OutputDirectory.problem(out, OUTPUTS);
    if (outProblem != null) {
      throw bad(outProblem);
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

  private ProgressBar progressBar(int cells) {
    return new ProgressBarBuilder().setTaskName("sweep " + model)
        .setInitialMax((long) cells * PROGRESS_UNITS).setStyle(ProgressBarStyle.ASCII)
        .hideEta().setUnit(" cells", PROGRESS_UNITS).build();
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
