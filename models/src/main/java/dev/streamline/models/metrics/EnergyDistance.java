package dev.streamline.models.metrics;

/**
 * The energy distance of Székely and Rizzo, D(X, Y) = 2·E|X−Y| − E|X−X'| − E|Y−Y'| (the quantity
 * itself, not its square root), which is zero exactly when the two distributions are equal.
 *
 * <p>Estimated by the V-statistic, which averages over all pairs including each point with
 * itself. It is never negative and is exactly zero for two copies of one sample; its small
 * positive bias at finite sizes is shared by the data-versus-data floor measured at the same
 * sizes, so "within k× of the floor" is a meaningful quality bar.
 */
public final class EnergyDistance {

  private EnergyDistance() {}

  /** The estimate from samples {@code x} (n × d) and {@code y} (m × d), each with n, m ≥ 2. */
  public static double of(double[][] x, double[][] y) {
    Samples.commonDimension(x, y, 2);
    PairSums.Term distance = (squared, sums) -> sums[0] += Math.sqrt(squared);
    double n = x.length;
    double m = y.length;
    double between = PairSums.between(x, y, 1, distance)[0] / (n * m);
    double withinX = 2 * PairSums.within(x, 1, distance)[0] / (n * n);
    double withinY = 2 * PairSums.within(y, 1, distance)[0] / (m * m);
    return 2 * between - withinX - withinY;
  }
}
