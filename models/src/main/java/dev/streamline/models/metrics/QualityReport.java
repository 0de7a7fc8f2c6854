package dev.streamline.models.metrics;

import dev.streamline.models.data.TwoDimensionalDataset;
import java.util.SplittableRandom;

import java.util.Locale;

/**
 * How far generated samples are from the data, next to the floor: the same statistics between two
 * independent samples of the data, which is what a perfect model would score at these sample
 * sizes. A value is only meaningful relative to its floor.
 *
 * @param generated generated samples versus a data sample
 * @param floor a second, independent data sample versus the same data sample
 */
public record QualityReport(Distances generated, Distances floor) {

  /** Sliced Wasserstein directions per evaluation; enough for a few-percent Monte Carlo error. */
  public static final int PROJECTIONS = 256;

  /**
   * The most samples a caller should compare: every statistic here sums over all pairs, and 20,000
   * samples already take about a minute on two cores.
   */
  public static final int MAX_SAMPLES = 100_000;

  /**
   * @param energy energy distance, see {@link EnergyDistance}
   * @param mmdSquared RBF MMD² averaged over median-heuristic bandwidths, see {@link RbfMmd}
   * @param slicedWasserstein sliced Wasserstein-2 distance, see {@link SlicedWasserstein}
   */
  public record Distances(double energy, double mmdSquared, double slicedWasserstein) {}

  /**
   * Compares {@code generated} and {@code heldOut} each against {@code reference}, with kernel
   * bandwidths taken from {@code reference} and slices drawn from {@code seed}. Give
   * {@code generated} and {@code heldOut} the same size: the sliced distance's floor shrinks with
   * sample size, so unequal sizes would skew the comparison.
   */
  public static QualityReport evaluate(
      double[][] generated, double[][] reference, double[][] heldOut, long seed) {
    RbfMmd mmd = RbfMmd.medianHeuristic(reference);
    SlicedWasserstein sliced = new SlicedWasserstein(PROJECTIONS, seed);
    return new QualityReport(
        distances(generated, reference, mmd, sliced), distances(heldOut, reference, mmd, sliced));
  }

  /**
   * The protocol of {@code evaluate}: generated samples against a fresh data sample, next to a
   * second fresh data sample of the same size, both drawn from {@code seed}.
   */
  public static QualityReport againstData(double[][] generated, TwoDimensionalDataset data,
      long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int n = generated.length;
    return evaluate(generated, data.sample(n, random.nextLong()), data.sample(n, random.nextLong()),
        seed);
  }

  private static Distances distances(
      double[][] x, double[][] reference, RbfMmd mmd, SlicedWasserstein sliced) {
    return new Distances(
        EnergyDistance.of(x, reference), mmd.squared(x, reference), sliced.distance(x, reference));
  }

  /** One line for logs, each value followed by its floor. */
  public String summary() {
    return String.format(Locale.ROOT,
        "energy %.4g (floor %.4g), MMD² %.4g (floor %.4g), sliced W2 %.4g (floor %.4g)",
        generated.energy, floor.energy, generated.mmdSquared, floor.mmdSquared,
        generated.slicedWasserstein, floor.slicedWasserstein);
  }
}
