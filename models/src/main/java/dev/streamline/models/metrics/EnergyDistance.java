package dev.streamline.models.metrics;

/**
 * The energy distance of Székely and Rizzo, D(X, Y) = 2·E|X−Y| − E|X−X'| − E|Y−Y'| (the quantity
 * itself, not its square root), which is zero exactly when the two distributions are equal.
 *
 * <p>Estimated by the U-statistic: the within-sample means skip each point's distance to itself.
 * That makes it unbiased, so a data-versus-data floor is centred on zero at any sample size and
 * values from runs with different sizes can be compared, at the price of small negative values
 * when the distributions agree (for two copies of one sample it is −2/n times that sample's mean
 * pairwise distance).
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
    double withinX = 2 * PairSums.within(x, 1, distance)[0] / (n * (n - 1));
    double withinY = 2 * PairSums.within(y, 1, distance)[0] / (m * (m - 1));
    return 2 * between - withinX - withinY;
  }
}
