package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * One Brownian path W per sample over the process's time range, queried at any time by Brownian
 * bridge bisection (as torchsde's BrownianTree, which k-diffusion's BrownianTreeNoiseSampler
 * uses): the interval is halved {@link #DEPTH} times towards the query, each midpoint drawn from
 * the bridge between its interval's ends, and below that W is linear. Every node's draw comes
 * from its own generator, seeded with the sample's seed and the node's place in the tree, so W is
 * a fixed function of (seed, t): a step's noise (W(t_next) - W(t))/sqrt(|t_next - t|) is the same
 * whatever the other steps are, the noise of N steps sums to that of N/2, and the answer of an SDE
 * sampler converges as its steps grow instead of changing with every step count.
 */
final class BrownianTree {

  /**
   * Halvings of the time range: below 2^-24 of it W is linear, which takes at most that much of
   * an increment's variance away.
   */
  static final int DEPTH = 24;

  private final long[] seeds;
  private final Shape sampleShape;
  private final int size;
  private final double start;
  private final double end;
  /**
   * The last two times queried and W there, [row][coordinate]: a step starts where the last
   * ended.
   */
  private final double[] cachedTimes = {Double.NaN, Double.NaN};
  private final double[][][] cachedPaths = new double[2][][];
  private int older;

  /** Paths over [start, end], one per seed. */
  BrownianTree(long[] seeds, Shape sampleShape, double start, double end) {
    if (!(start < end)) {
      throw new IllegalArgumentException("a Brownian tree needs start < end, got " + start
          + ", " + end);
    }
    this.seeds = seeds.clone();
    this.sampleShape = sampleShape;
    this.size = Math.toIntExact(sampleShape.size());
    this.start = start;
    this.end = end;
  }

  /** The paths over the time range of a process. */
  static BrownianTree over(NoiseProcess process, long[] seeds, Shape sampleShape) {
    double a = process.noiseTime();
    double b = process.dataTime();
    return new BrownianTree(seeds, sampleShape, Math.min(a, b), Math.max(a, b));
  }

  /**
   * Each sample's increment from {@code from} to {@code to} over the square root of its length:
   * standard normal noise, [count, ...sampleShape].
   */
  NDArray noise(NDManager manager, DataType type, double from, double to) {
    double[][] a = path(from);
    double[][] b = path(to);
    double scale = 1 / Math.sqrt(Math.abs(to - from));
    double[] values = new double[seeds.length * size];
    for (int i = 0; i < seeds.length; i++) {
      for (int j = 0; j < size; j++) {
        values[i * size + j] = (b[i][j] - a[i][j]) * scale;
      }
    }
    Shape shape = new Shape(seeds.length).addAll(sampleShape);
    return Coefficients.column(manager, values, shape, type);
  }

  /** W(t) of every sample, [row][coordinate]. */
  double[][] path(double t) {
    for (int k = 0; k < 2; k++) {
      if (cachedTimes[k] == t) {
        return cachedPaths[k];
      }
    }
    if (!(t >= start && t <= end)) {
      throw new IllegalArgumentException("time " + t + " is outside the Brownian tree's ["
          + start + ", " + end + "]");
    }
    double[][] out = new double[seeds.length][];
    for (int i = 0; i < seeds.length; i++) {
      out[i] = value(seeds[i], t);
    }
    cachedTimes[older] = t;
    cachedPaths[older] = out;
    older = 1 - older;
    return out;
  }

  /** One sample's W(t): bisection from W(start) = 0 and W(end) ~ N(0, end - start). */
  private double[] value(long seed, double t) {
    double lo = start;
    double hi = end;
    double[] low = new double[size];
    double[] high = draw(seed, 0, Math.sqrt(end - start), null, null);
    long node = 1;
    for (int level = 0; level < DEPTH && t != lo && t != hi; level++) {
      double mid = 0.5 * (lo + hi);
      // The bridge at the midpoint: mean halfway between the ends, variance (hi - lo)/4.
      double[] middle = draw(seed, node, 0.5 * Math.sqrt(hi - lo), low, high);
      if (t < mid) {
        hi = mid;
        high = middle;
        node = 2 * node;
      } else {
        lo = mid;
        low = middle;
        node = 2 * node + 1;
      }
    }
    if (t == lo) {
      return low;
    }
    if (t == hi) {
      return high;
    }
    double w = (t - lo) / (hi - lo);
    double[] out = new double[size];
    for (int j = 0; j < size; j++) {
      out[j] = low[j] + w * (high[j] - low[j]);
    }
    return out;
  }

  /**
   * The node's draw: deviation × standard normals from the node's own generator, plus the mean
   * of the two ends where they are given.
   */
  private double[] draw(long seed, long node, double deviation, double[] low, double[] high) {
    SplittableRandom random = new SplittableRandom(mix(seed + mix(node + GOLDEN)));
    double[] out = new double[size];
    for (int j = 0; j < size; j++) {
      double mean = low == null ? 0 : 0.5 * (low[j] + high[j]);
      out[j] = mean + deviation * random.nextGaussian();
    }
    return out;
  }

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  /** SplitMix64's finalizer: nearby seeds and nodes give unrelated generators. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
