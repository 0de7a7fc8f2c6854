package dev.streamline.models.data;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * The two-dimensional toy distributions of the flow-matching and continuous-normalizing-flow
 * literature, drawn as host arrays {@code double[n][2]}.
 *
 * <p>Scalings follow FFJORD's toy data (which torchcfm and most later papers reuse), so that plots
 * and metric values are comparable with published ones: every set lies roughly within [-4, 4]². The
 * points are i.i.d.; the same {@code (n, seed)} always gives the same array.
 */
public enum TwoDimensionalDataset {

  /**
   * Two interleaved half circles, as sklearn's {@code make_moons} with noise 0.1, then scaled by 2
   * and shifted by (-1, -0.2). Unlike sklearn, positions along each arm are drawn at random rather
   * than evenly spaced, so that every mini-batch is an independent sample.
   */
  MOONS("moons") {
    @Override
    double[] point(SplittableRandom random) {
      double angle = Math.PI * random.nextDouble();
      double x;
      double y;
      if (random.nextBoolean()) {
        x = Math.cos(angle);
        y = Math.sin(angle);
      } else {
        x = 1 - Math.cos(angle);
        y = 0.5 - Math.sin(angle);
      }
      x += MOONS_NOISE * random.nextGaussian();
      y += MOONS_NOISE * random.nextGaussian();
      return new double[] {2 * x - 1, 2 * y - 0.2};
    }
  },

  /**
   * An equal mixture of eight isotropic Gaussians with standard deviation 0.5 at the compass points
   * of the radius-4 circle, the whole divided by √2: centres at radius 2√2, standard deviation ≈ 0.354.
   */
  EIGHT_GAUSSIANS("8gaussians") {
    @Override
    double[] point(SplittableRandom random) {
      double[] centre = EIGHT_GAUSSIAN_CENTRES[random.nextInt(EIGHT_GAUSSIAN_CENTRES.length)];
      return new double[] {
        centre[0] + EIGHT_GAUSSIANS_STD * random.nextGaussian(),
        centre[1] + EIGHT_GAUSSIANS_STD * random.nextGaussian()
      };
    }
  },

  /**
   * Uniform on the 8 cells of a 4×4 checkerboard over [-4, 4]² whose cell indices
   * {@code floor(x/2) + floor(y/2)} are even; the bottom-left cell [-4, -2]² is one of them.
   */
  CHECKERBOARD("checkerboard") {
    @Override
    double[] point(SplittableRandom random) {
      int column = random.nextInt(4);
      // Rows of the same parity as the column keep the cells alternating.
      int row = 2 * random.nextInt(2) + (column & 1);
      return new double[] {
        -4 + 2 * (column + random.nextDouble()), -4 + 2 * (row + random.nextDouble())
      };
    }
  },

  /**
   * Two interleaved spiral arms, point-symmetric about the origin, each turning 1.5 times: the arm
   * is θ·(-cos θ, sin θ)/3 for θ in [0, 3π], with θ drawn as 3π·√u so that points are spread
   * evenly along the arm's length rather than crowded at its centre, plus Gaussian noise of
   * standard deviation 0.1. This is FFJORD's "2spirals" without its one-sided uniform jitter.
   */
  SPIRALS("spirals") {
    @Override
    double[] point(SplittableRandom random) {
      double theta = SPIRAL_TURN * Math.sqrt(random.nextDouble());
      double sign = random.nextBoolean() ? 1 : -1;
      double[] onArm = spiralArm(theta, sign);
      return new double[] {
        onArm[0] + SPIRAL_NOISE * random.nextGaussian(),
        onArm[1] + SPIRAL_NOISE * random.nextGaussian()
      };
    }
  };

  static final double MOONS_NOISE = 0.1;
  static final double EIGHT_GAUSSIANS_STD = 0.5 / Math.sqrt(2);
  static final double SPIRAL_TURN = 3 * Math.PI;
  static final double SPIRAL_NOISE = 0.1;

  private static final double[][] EIGHT_GAUSSIAN_CENTRES = eightGaussianCentres();

  private final String id;

  TwoDimensionalDataset(String id) {
    this.id = id;
  }

  /** The short name used in configuration and in the papers' code ("moons", "8gaussians", ...). */
  public String id() {
    return id;
  }

  public static TwoDimensionalDataset fromId(String id) {
    for (TwoDimensionalDataset dataset : values()) {
      if (dataset.id.equals(id)) {
        return dataset;
      }
    }
    throw new IllegalArgumentException(
        "unknown two-dimensional dataset '" + id + "'; known: "
            + Arrays.stream(values()).map(TwoDimensionalDataset::id).collect(Collectors.joining(", ")));
  }

  /** {@code n} i.i.d. points, reproducible per {@code seed}. */
  public double[][] sample(int n, long seed) {
    if (n < 0) {
      throw new IllegalArgumentException("sample size must be non-negative, got " + n);
    }
    SplittableRandom random = new SplittableRandom(seed);
    double[][] points = new double[n][];
    for (int i = 0; i < n; i++) {
      points[i] = point(random);
    }
    return points;
  }

  abstract double[] point(SplittableRandom random);

  /** The noiseless point at parameter {@code theta} of the arm with orientation {@code sign} (±1). */
  static double[] spiralArm(double theta, double sign) {
    return new double[] {
      -sign * theta * Math.cos(theta) / 3, sign * theta * Math.sin(theta) / 3
    };
  }

  static double[][] eightGaussianCentres() {
    double radius = 4 / Math.sqrt(2);
    double[][] centres = new double[8][];
    for (int k = 0; k < 8; k++) {
      double angle = k * Math.PI / 4;
      centres[k] = new double[] {radius * Math.cos(angle), radius * Math.sin(angle)};
    }
    return centres;
  }
}
