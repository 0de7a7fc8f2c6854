package dev.streamline.loadtest;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.HdrHistogram.Histogram;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs a {@link SweepPlan} against the service, cell by cell, and writes what the cells measured
 * to the output directory, all or nothing ({@link OutputDirectory}).
 */
final class SweepRunner {

  /** What {@link #write} puts in the output directory. */
  static final List<String> OUTPUTS = List.of("results.csv", "results.json", "report.md",
      Charts.QUALITY, Charts.LATENCY, Charts.THROUGHPUT, Charts.PARETO, Charts.EXACT_ERROR,
      Charts.LIKELIHOOD);

  private static final int PROGRESS_UNITS = 1000;

  /** Attempts at the quality samples that the measured phase did not deliver. */
  private static final int QUALITY_ROUNDS = 5;

  private final ServiceClient client;
  private final String model;
  private final QualityMeter meter;
  private final HeldOutLikelihood likelihood;
  private final LoadDriver driver;

  /** @param likelihood the held-out likelihood of likelihood samplers' cells, or null for none */
  SweepRunner(ServiceClient client, String model, QualityMeter meter,
      HeldOutLikelihood likelihood) {
    this.client = client;
    this.model = model;
    this.meter = meter;
    this.likelihood = likelihood;
    this.driver = new LoadDriver(client, model, Thread::sleep);
  }

  /** The quality columns: the meter's, then the held-out likelihood's. */
  List<String> metrics() {
    List<String> metrics = new ArrayList<>(meter.metrics());
    metrics.addAll(HeldOutLikelihood.METRICS);
    return metrics;
  }

  /** Runs the cells in order, under a progress bar unless {@code quiet}. */
  List<CellResult> run(SweepPlan plan, boolean quiet) throws ServiceException {
    List<Cell> cells = plan.cells();
    List<CellResult> rows = new ArrayList<>();
    try (ProgressBar bar = quiet ? null : progressBar(cells.size())) {
      for (int i = 0; i < cells.size(); i++) {
        Cell cell = cells.get(i);
        int done = i;
        DoubleConsumer progress = bar == null ? f -> { } : f -> {
          bar.stepTo((long) ((done + Math.min(f, 1)) * PROGRESS_UNITS));
        };
        if (bar != null) {
          bar.setExtraMessage(cell.label());
        }
        rows.add(run(plan, cell, progress));
        if (bar != null) {
          bar.stepTo((long) (i + 1) * PROGRESS_UNITS);
        }
      }
    }
    return rows;
  }

  private CellResult run(SweepPlan plan, Cell cell, DoubleConsumer progress)
      throws ServiceException {
    long qualityRequests = plan.qualityRequests();
    LoadDriver.RequestSource source = plan.requests(cell, qualityRequests);
    if (plan.warmup() != null) {
      failIfNothingWorked(cell, driver.run(plan.requests(cell, 0), plan.warmup(), f -> { }));
    }
    String before = client.prometheus();
    LoadDriver.Outcome outcome = driver.run(source, plan.load(), progress);
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
    kept.putAll(driver.runUntilAnswered(source, missing, plan.load().concurrency(),
        QUALITY_ROUNDS));
    List<Integer> indices = new ArrayList<>();
    List<float[]> samples = new ArrayList<>();
    for (long k = 0; k < qualityRequests; k++) {
      ReceivedSamples received = kept.get(k);
      if (received == null) {
        continue;
      }
      int width = received.width();
      for (int j = 0; j < received.count() && samples.size() < plan.qualitySamples(); j++) {
        indices.add((int) (k * plan.n() + j));
        samples.add(Arrays.copyOfRange(received.values(), j * width, (j + 1) * width));
      }
    }
    Map<String, Double> quality = new LinkedHashMap<>();
    try {
      if (samples.size() >= 2) {
        quality.putAll(meter.measure(indices.stream().mapToInt(Integer::intValue).toArray(),
            samples.toArray(float[][]::new), plan.deterministic(cell)));
      }
    } catch (IllegalArgumentException e) {
      // Such as samples of another dimension than the model's data: the server's doing, and the
      // metrics' own words would not say so.
      throw new IllegalStateException("cell " + cell.label() + ": the samples the server answered"
          + " cannot be scored: " + e.getMessage(), e);
    }

    if (likelihood != null && plan.likelihood(cell)) {
      quality.putAll(likelihood.measure(cell));
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
        server.requestsPerRun(), samples.size() < 2 ? 0 : samples.size(), quality);
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

  /**
   * Writes {@link #OUTPUTS} to {@code out} and a line per cell to {@code stdout}.
   *
   * @param info the service's {@code /v1/models/{id}} answer
   * @param command the command line, for the report
   * @param settings the sweep's load settings, in words, by name
   * @param serverSettings server settings named on the command line
   */
  void write(Path out, JsonNode info, String command, Map<String, String> settings,
      Map<String, String> serverSettings, List<CellResult> rows, PrintWriter stdout)
      throws IOException {
    ObjectNode sweep = JsonNodeFactory.instance.objectNode();
    sweep.put("url", client.base().toString());
    settings.forEach(sweep::put);
    JsonNode serverInfo = client.info();
    try {
      OutputDirectory.write(out, dir -> {
        Results.writeCsv(dir.resolve("results.csv"), model, metrics(), rows);
        Results.writeJson(dir.resolve("results.json"), model, sweep, metrics(), rows);
        Map<String, String> charts = Charts.write(dir, model, meter, likelihood, rows);
        Report.write(dir.resolve("report.md"), new Report.Inputs(model, info, serverInfo,
            serverSettings, client.base().toString(), command, settings, Machine.current(),
            meter, likelihood, rows, charts));
      });
    } catch (IOException e) {
      // Some file-system exceptions carry only the path in their message.
      throw new IOException("--out " + out + " cannot be written: " + e.getClass().getSimpleName()
          + ": " + e.getMessage(), e);
    }
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

  private ProgressBar progressBar(int cells) {
    return new ProgressBarBuilder().setTaskName("sweep " + model)
        .setInitialMax((long) cells * PROGRESS_UNITS).setStyle(ProgressBarStyle.ASCII)
        .hideEta().setUnit(" cells", PROGRESS_UNITS).build();
  }
}
