package dev.streamline.models.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.function.DoubleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TwoDimensionalDatasetTest {

  private static final int N = 4000;

  @ParameterizedTest
  @EnumSource(TwoDimensionalDataset.class)
  void samplesAreReproduciblePerSeedAndShapedNByTwo(TwoDimensionalDataset dataset) {
    double[][] first = dataset.sample(300, 42);

    assertThat(first).hasNumberOfRows(300);
    assertThat(Arrays.stream(first)).allSatisfy(point -> assertThat(point).hasSize(2));
    assertThat(dataset.sample(300, 42)).isDeepEqualTo(first);
    assertThat(dataset.sample(300, 43)[0]).isNotEqualTo(first[0]);
    assertThat(dataset.sample(0, 42)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(TwoDimensionalDataset.class)
  void idsRoundTrip(TwoDimensionalDataset dataset) {
    assertThat(TwoDimensionalDataset.fromId(dataset.id())).isSameAs(dataset);
  }

  @Test
  void unknownIdListsTheKnownOnes() {
    assertThatThrownBy(() -> TwoDimensionalDataset.fromId("swissroll"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown two-dimensional dataset 'swissroll'; known: "
            + "moons, 8gaussians, checkerboard, spirals");
  }

  @Test
  void negativeSizeIsRejected() {
    assertThatThrownBy(() -> TwoDimensionalDataset.MOONS.sample(-1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
  }

  @Test
  void eightGaussiansAreEvenlySpreadAroundTheirCentresWithTheirStandardDeviation() {
    double[][] centres = TwoDimensionalDataset.eightGaussianCentres();
    assertThat(Math.hypot(centres[1][0], centres[1][1])).isCloseTo(2 * Math.sqrt(2), within(1e-12));

    int[] counts = new int[8];
    double sumOffset = 0;
    double sumSquaredOffset = 0;
    for (double[] p : TwoDimensionalDataset.EIGHT_GAUSSIANS.sample(N, 1)) {
      int nearest = 0;
      for (int k = 1; k < 8; k++) {
        if (squaredDistance(p, centres[k]) < squaredDistance(p, centres[nearest])) {
          nearest = k;
        }
      }
      counts[nearest]++;
      for (int axis = 0; axis < 2; axis++) {
        double offset = p[axis] - centres[nearest][axis];
        sumOffset += offset;
        sumSquaredOffset += offset * offset;
      }
    }

    // Binomial(4000, 1/8): mean 500, standard deviation ≈ 21.
    assertThat(Arrays.stream(counts)).allSatisfy(count -> assertThat(count).isBetween(415, 585));
    assertThat(sumOffset / (2 * N)).isCloseTo(0, within(0.02));
    assertThat(Math.sqrt(sumSquaredOffset / (2 * N)))
        .isCloseTo(TwoDimensionalDataset.EIGHT_GAUSSIANS_STD, within(0.01));
  }

  @Test
  void checkerboardFillsTheEightAlternatingCellsEvenly() {
    int[][] counts = new int[4][4];
    for (double[] p : TwoDimensionalDataset.CHECKERBOARD.sample(N, 2)) {
      assertThat(p[0]).isBetween(-4.0, 4.0);
      assertThat(p[1]).isBetween(-4.0, 4.0);
      counts[(int) Math.floor(p[0] / 2) + 2][(int) Math.floor(p[1] / 2) + 2]++;
    }

    for (int column = 0; column < 4; column++) {
      for (int row = 0; row < 4; row++) {
        if ((column + row) % 2 == 0) {
          assertThat(counts[column][row]).isBetween(415, 585);
        } else {
          assertThat(counts[column][row]).isZero();
        }
      }
    }
  }

  @Test
  void moonsLieOnTwoEquallyLikelyHalfCircles() {
    // The noiseless arms after scaling by 2 and shifting by (-1, -0.2): radius-2 half circles.
    double[][][] arms = {
      curve(t -> new double[] {-1 + 2 * Math.cos(t), -0.2 + 2 * Math.sin(t)}, 0, Math.PI),
      curve(t -> new double[] {1 - 2 * Math.cos(t), 0.8 - 2 * Math.sin(t)}, 0, Math.PI)
    };

    ArmFit fit = fit(TwoDimensionalDataset.MOONS.sample(N, 3), arms);

    assertThat((double) fit.counts[0] / N).isCloseTo(0.5, within(0.04));
    // Noise of 0.1 per coordinate, doubled by the scaling: the mean distance to the arm is about
    // E|N(0, 0.2²)| ≈ 0.16, a little less where the arms' ends let points slip past them.
    assertThat(fit.meanDistance).isCloseTo(0.16, within(0.03));
    assertThat(fit.maxDistance).isLessThan(1.0);
  }

  @Test
  void spiralsLieOnTwoEquallyLikelyArmsWithPointsSpreadAlongTheirLength() {
    double[][][] arms = {
      curve(t -> TwoDimensionalDataset.spiralArm(t, 1), 0, TwoDimensionalDataset.SPIRAL_TURN),
      curve(t -> TwoDimensionalDataset.spiralArm(t, -1), 0, TwoDimensionalDataset.SPIRAL_TURN)
    };
    double[][] points = TwoDimensionalDataset.SPIRALS.sample(N, 4);

    ArmFit fit = fit(points, arms);

    assertThat((double) fit.counts[0] / N).isCloseTo(0.5, within(0.04));
    assertThat(fit.meanDistance).isLessThan(0.12);
    assertThat(fit.maxDistance).isLessThan(0.6);
    // θ = 3π·√u puts a quarter of the points within the first half of the turns, radius π/2.
    int inner = 0;
    for (double[] p : points) {
      if (Math.hypot(p[0], p[1]) < Math.PI / 2) {
        inner++;
      }
    }
    assertThat((double) inner / N).isCloseTo(0.25, within(0.03));
  }

  /** Which arm each point is nearest to, and how near. */
  private record ArmFit(int[] counts, double meanDistance, double maxDistance) {}

  private static ArmFit fit(double[][] points, double[][][] arms) {
    int[] counts = new int[arms.length];
    double sum = 0;
    double max = 0;
    for (double[] p : points) {
      int nearestArm = 0;
      double nearest = Double.POSITIVE_INFINITY;
      for (int a = 0; a < arms.length; a++) {
        for (double[] q : arms[a]) {
          double d = squaredDistance(p, q);
          if (d < nearest) {
            nearest = d;
            nearestArm = a;
          }
        }
      }
      counts[nearestArm]++;
      sum += Math.sqrt(nearest);
      max = Math.max(max, Math.sqrt(nearest));
    }
    return new ArmFit(counts, sum / points.length, max);
  }

  /** A curve as a polyline dense enough that distances to its vertices are distances to it. */
  private static double[][] curve(DoubleFunction<double[]> at, double from, double to) {
    int vertices = 3000;
    double[][] polyline = new double[vertices + 1][];
    for (int i = 0; i <= vertices; i++) {
      polyline[i] = at.apply(from + (to - from) * i / vertices);
    }
    return polyline;
  }

  private static double squaredDistance(double[] a, double[] b) {
    return (a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]);
  }
}
