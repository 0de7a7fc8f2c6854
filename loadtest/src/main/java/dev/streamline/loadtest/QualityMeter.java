package dev.streamline.loadtest;

import java.util.List;
import java.util.Map;

/**
 * Measures the quality of the samples a cell received. Every meter names a primary metric (the one
 * charted and used for quality targets) and its floor, the value that a perfect sampler would score
 * at the same sample size.
 */
interface QualityMeter extends AutoCloseable {

  /** Name of the primary metric; lower is better. */
  String primary();

  /** Name of the primary metric's floor: by convention the primary's name with "Floor" appended. */
  default String primaryFloor() {
    return primary() + "Floor";
  }

  /** Names of all metrics this meter reports, in column order. */
  List<String> metrics();

  /**
   * @param samples the kept samples, row i being the sample of global index {@code indices[i]}
   *     (the index that, added to the sweep's seed, is the sample's seed)
   * @param deterministic whether the sampler is an ODE solver without injected noise, so that its
   *     samples should approach one exact solution
   */
  Map<String, Double> measure(int[] indices, float[][] samples, boolean deterministic)
      throws ServiceException;

  @Override
  default void close() {}

  /**
   * The metrics of a sweep without quality samples: their columns stay in the CSV and JSON, empty,
   * and nothing a real meter needs (a data set, a classifier) is loaded.
   */
  record Unmeasured(String primary, List<String> metrics) implements QualityMeter {

    @Override
    public Map<String, Double> measure(int[] indices, float[][] samples, boolean deterministic) {
      return Map.of();
    }
  }
}
