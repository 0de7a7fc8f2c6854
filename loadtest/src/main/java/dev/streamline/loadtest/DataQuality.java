package dev.streamline.loadtest;

import dev.streamline.models.data.TwoDimensionalDataset;
import dev.streamline.models.metrics.QualityReport;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * 2D models trained on a toy data set: energy distance, RBF MMD² and sliced W2 against fresh data
 * samples, each next to its data-vs-data floor ({@link QualityReport#againstData}). The data samples
 * come from one seed for every cell, so cells of equal sample size share their floor.
 */
final class DataQuality implements QualityMeter {

  /** The names {@link #distances} reports, in its order. */
  static final List<String> METRICS =
      List.of("energy", "energyFloor", "mmd2", "mmd2Floor", "slicedW2", "slicedW2Floor");

  private final TwoDimensionalDataset dataset;
  private final long seed;

  DataQuality(TwoDimensionalDataset dataset, long seed) {
    this.dataset = dataset;
    this.seed = seed;
  }

  @Override
  public String primary() {
    return "energy";
  }

  @Override
  public List<String> metrics() {
    return METRICS;
  }

  @Override
  public Map<String, Double> measure(int[] indices, float[][] samples, boolean deterministic) {
    return distances(QualityReport.againstData(Rows.toDoubles(samples), dataset, seed));
  }

  static Map<String, Double> distances(QualityReport report) {
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("energy", report.generated().energy());
    metrics.put("energyFloor", report.floor().energy());
    metrics.put("mmd2", report.generated().mmdSquared());
    metrics.put("mmd2Floor", report.floor().mmdSquared());
    metrics.put("slicedW2", report.generated().slicedWasserstein());
    metrics.put("slicedW2Floor", report.floor().slicedWasserstein());
    return metrics;
  }
}
