package dev.streamline.loadtest;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.DoubleSummaryStatistics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The PNG charts of a sweep, drawn with XChart. */
final class Charts {

  static final String QUALITY = "quality-vs-nfe.png";
  static final String LATENCY = "p99-latency-vs-nfe.png";
  static final String THROUGHPUT = "throughput-vs-nfe.png";
  static final String PARETO = "quality-latency-pareto.png";
  static final String EXACT_ERROR = "exact-error-vs-nfe.png";
  static final String LIKELIHOOD = "likelihood-vs-nfe.png";

  private Charts() {}

  /**
   * Draws every chart that has data and returns the file names written, with their captions.
   * {@code exactError} only applies to analytic models, the likelihood chart where {@code
   * likelihood} is not null.
   */
  static Map<String, String> write(Path dir, String model, QualityMeter meter,
      HeldOutLikelihood likelihood, List<CellResult> rows) throws IOException {
    Map<String, String> written = new LinkedHashMap<>();
    String primary = meter.primary();
    XYChart chart = bySampler(model + ": " + primary + " vs NFE", "NFE per request", primary, rows,
        CellResult::nfe, row -> row.metric(primary));
    floorLine(chart, "floor (data vs data)", rows, CellResult::nfe,
        row -> row.metric(meter.primaryFloor()));
    save(chart, dir.resolve(QUALITY), written, "Quality (" + primary + ", lower is better) against"
        + " network evaluations per request; the grey line is the data-vs-data floor.");
    save(bySampler(model + ": p99 latency vs NFE", "NFE per request", "p99 latency (ms)", rows,
            CellResult::nfe, CellResult::p99Ms), dir.resolve(LATENCY), written,
        "99th-percentile request latency against NFE.");
    save(bySampler(model + ": throughput vs NFE", "NFE per request", "samples/s", rows,
            CellResult::nfe, CellResult::samplesPerSecond), dir.resolve(THROUGHPUT), written,
        "Samples per second delivered at the sweep's load against NFE.");
    save(pareto(model, primary, rows), dir.resolve(PARETO), written,
        "Every cell by p99 latency and quality; the line joins the cells that no other cell beats"
            + " on both.");
    if (meter.metrics().contains("exactError")) {
      save(bySampler(model + ": exact-solution error vs NFE", "NFE per request",
              "RMS error to the exact ODE solution", rows, CellResult::nfe,
              row -> row.metric("exactError")), dir.resolve(EXACT_ERROR), written,
          "Deterministic samplers: RMS distance of each sample to the exact solution of the"
              + " probability-flow ODE from the same noise.");
    }
    if (likelihood != null) {
      String metric = likelihood.primary();
      boolean bits = metric.equals("bitsPerDim");
      XYChart nll = bySampler(model + ": held-out " + (bits ? "bits/dim" : "NLL") + " vs NFE",
          "NFE per likelihood request", bits ? "bits per dimension" : "negative log-likelihood"
              + " (nats)", rows, row -> row.metric("likelihoodNfe"), row -> row.metric(metric));
      if (!bits) {
        floorLine(nll, "exact NLL of the points", rows, row -> row.metric("likelihoodNfe"),
            row -> row.metric("nllFloor"));
      }
      save(nll, dir.resolve(LIKELIHOOD), written, "Negative log-likelihood of held-out data"
          + (bits ? " in bits per dimension" : " in nats") + " against the NFE of the likelihood"
          + " solve, for the samplers that integrate it" + (bits ? "." : "; the grey line, where"
          + " drawn, is the points' exact NLL under the known data distribution."));
    }
    return written;
  }

  /** A grey horizontal line at the mean of the rows' finite floors, across the x range. */
  private static void floorLine(XYChart chart, String name, List<CellResult> rows,
      ToDoubleFunction<CellResult> x, ToDoubleFunction<CellResult> floors) {
    double floor = rows.stream().mapToDouble(floors).filter(Double::isFinite).average()
        .orElse(Double.NaN);
    boolean drawable = floor > 0 || !chart.getStyler().isYAxisLogarithmic();
    if (!Double.isFinite(floor) || !drawable || chart.getSeriesMap().isEmpty()) {
      return;
    }
    DoubleSummaryStatistics xs = rows.stream().mapToDouble(x).filter(Double::isFinite)
        .summaryStatistics();
    XYSeries line = chart.addSeries(name, new double[] {xs.getMin(), xs.getMax()},
        new double[] {floor, floor});
    line.setMarker(SeriesMarkers.NONE);
    line.setLineColor(Color.GRAY);
  }

  /**
   * The cells that no other cell beats on both p99 latency and quality, by increasing latency
   * (and so decreasing quality value).
   */
  static List<CellResult> paretoFront(List<CellResult> rows, String metric) {
    List<CellResult> candidates = new ArrayList<>(rows.stream()
        .filter(row -> Double.isFinite(row.metric(metric)) && Double.isFinite(row.p99Ms()))
        .toList());
    candidates.sort(Comparator.comparingDouble(CellResult::p99Ms)
        .thenComparingDouble(row -> row.metric(metric)));
    List<CellResult> front = new ArrayList<>();
    double best = Double.POSITIVE_INFINITY;
    for (CellResult row : candidates) {
      if (row.metric(metric) < best) {
        front.add(row);
        best = row.metric(metric);
      }
    }
    return front;
  }

  private static XYChart pareto(String model, String metric, List<CellResult> rows) {
    XYChart chart = bySampler(model + ": " + metric + " vs p99 latency", "p99 latency (ms)", metric,
        rows, CellResult::p99Ms, row -> row.metric(metric));
    for (XYSeries series : chart.getSeriesMap().values()) {
      series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    }
    List<CellResult> front = paretoFront(rows, metric);
    if (!front.isEmpty()) {
      XYSeries line = chart.addSeries("Pareto front",
          front.stream().mapToDouble(CellResult::p99Ms).toArray(),
          front.stream().mapToDouble(row -> row.metric(metric)).toArray());
      line.setMarker(SeriesMarkers.NONE);
      line.setLineColor(Color.BLACK);
    }
    return chart;
  }

  /** One line per sampler, points in NFE order; non-finite points left out. */
  private static XYChart bySampler(String title, String xTitle, String yTitle,
      List<CellResult> rows, ToDoubleFunction<CellResult> x, ToDoubleFunction<CellResult> y) {
    XYChart chart = new XYChartBuilder().width(900).height(560)
        .title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    Styler styler = chart.getStyler();
    styler.setChartBackgroundColor(Color.WHITE);
    styler.setLegendPosition(Styler.LegendPosition.OutsideE);
    Map<String, List<CellResult>> bySampler = new LinkedHashMap<>();
    for (CellResult row : rows) {
      if (Double.isFinite(x.applyAsDouble(row)) && Double.isFinite(y.applyAsDouble(row))) {
        bySampler.computeIfAbsent(row.cell().sampler(), s -> new ArrayList<>()).add(row);
      }
    }
    boolean logX = true;
    boolean logY = true;
    for (Map.Entry<String, List<CellResult>> entry : bySampler.entrySet()) {
      List<CellResult> points = new ArrayList<>(entry.getValue());
      points.sort(Comparator.comparingDouble(x));
      double[] xs = points.stream().mapToDouble(x).toArray();
      double[] ys = points.stream().mapToDouble(y).toArray();
      logX &= Arrays.stream(xs).allMatch(v -> v > 0);
      logY &= Arrays.stream(ys).allMatch(v -> v > 0);
      chart.addSeries(entry.getKey(), xs, ys).setMarker(SeriesMarkers.CIRCLE);
    }
    chart.getStyler().setXAxisLogarithmic(logX && !bySampler.isEmpty());
    chart.getStyler().setYAxisLogarithmic(logY && !bySampler.isEmpty());
    return chart;
  }

  private static void save(XYChart chart, Path file, Map<String, String> written, String caption)
      throws IOException {
    if (chart.getSeriesMap().isEmpty()) {
      return;
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
    }
    written.put(file.getFileName().toString(), caption);
  }
}
