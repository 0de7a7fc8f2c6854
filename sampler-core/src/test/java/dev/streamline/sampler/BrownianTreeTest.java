package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Brownian tree is a Brownian motion per sample, fixed by the sample's seed, and SDE samplers
 * driven by it converge as their steps grow.
 */
class BrownianTreeTest extends ManagedTest {

  private static final int PATHS = 8_000;
  /** Four standard errors of a mean of unit-variance values over the paths. */
  private static final double FOUR_ERRORS = 4 / Math.sqrt(PATHS);

  private static BrownianTree tree(long first, int count) {
    return new BrownianTree(LongStream.range(first, first + count).toArray(), new Shape(1),
        0, 1);
  }

  /** W(to) - W(from) of each path. */
  private static double[] increments(BrownianTree tree, double from, double to) {
    double[][] a = tree.path(from);
    double[][] b = tree.path(to);
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = b[i][0] - a[i][0];
    }
    return out;
  }

  private static double mean(double[] values) {
    return Arrays.stream(values).average().orElseThrow();
  }

  private static double covariance(double[] a, double[] b) {
    double ma = mean(a);
    double mb = mean(b);
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += (a[i] - ma) * (b[i] - mb);
    }
    return sum / (a.length - 1);
  }

  private static double correlation(double[] a, double[] b) {
    return covariance(a, b) / Math.sqrt(covariance(a, a) * covariance(b, b));
  }

  @Test
  void incrementsAreNormalWithTheirIntervalsLength() {
    BrownianTree tree = tree(1, PATHS);
    for (double[] interval : new double[][] {{0, 1}, {0.137, 0.4123}, {0.5, 0.5 + 1e-4}}) {
      double length = interval[1] - interval[0];
      double[] z = increments(tree, interval[0], interval[1]);
      for (int i = 0; i < z.length; i++) {
        z[i] /= Math.sqrt(length);
      }
      String where = Arrays.toString(interval);
      assertThat(mean(z)).as(where).isCloseTo(0, within(FOUR_ERRORS));
      // The variance of a sample variance of normals is 2/(n - 1); its fourth moment is 3.
      assertThat(covariance(z, z)).as(where).isCloseTo(1, within(4 * Math.sqrt(2.0 / PATHS)));
      double kurtosis = Arrays.stream(z).map(v -> v * v * v * v).average().orElseThrow();
      assertThat(kurtosis).as(where).isCloseTo(3, within(4 * Math.sqrt(96.0 / PATHS)));
    }
  }

  @Test
  void incrementsOverDisjointIntervalsAreIndependentAndOverlapsShareTheirCommonPart() {
    BrownianTree tree = tree(100, PATHS);
    double[] first = increments(tree, 0.1, 0.3);
    double[] adjacent = increments(tree, 0.3, 0.7);
    double[] apart = increments(tree, 0.75, 0.9);
    assertThat(correlation(first, adjacent)).isCloseTo(0, within(FOUR_ERRORS));
    assertThat(correlation(first, apart)).isCloseTo(0, within(FOUR_ERRORS));
    assertThat(correlation(adjacent, apart)).isCloseTo(0, within(FOUR_ERRORS));
    // [0.1, 0.5] and [0.3, 0.7] share [0.3, 0.5]: correlation 0.2/sqrt(0.4 · 0.4) = 1/2.
    assertThat(correlation(increments(tree, 0.1, 0.5), increments(tree, 0.3, 0.7)))
        .isCloseTo(0.5, within(FOUR_ERRORS));
    // Squares of independent increments are uncorrelated too, not only the increments.
    double[] a = Arrays.stream(first).map(v -> v * v).toArray();
    double[] b = Arrays.stream(adjacent).map(v -> v * v).toArray();
    assertThat(correlation(a, b)).isCloseTo(0, within(FOUR_ERRORS));
  }

  @Test
  void anIncrementIsTheSumOfItsHalvesAndTheSameInEveryTreeOfItsSeed() {
    BrownianTree tree = tree(7, 64);
    double[] whole = increments(tree, 0.21, 0.83);
    double[] left = increments(tree, 0.21, 0.4);
    double[] right = increments(tree, 0.4, 0.83);
    for (int i = 0; i < whole.length; i++) {
      assertThat(left[i] + right[i]).isCloseTo(whole[i], within(1e-14));
    }
    // The row of seed 10 alone, queried in another order, is that row of the batch.
    BrownianTree alone = tree(10, 1);
    double[] own = increments(alone, 0.4, 0.83);
    assertThat(own[0]).isEqualTo(right[3]);
    assertThat(increments(alone, 0.21, 0.83)[0]).isEqualTo(whole[3]);
    assertThat(whole[3]).isNotEqualTo(whole[4]);
  }

  @Test
  void noiseIsTheIncrementOverTheSquareRootOfItsLength() {
    BrownianTree tree = tree(3, 4);
    double[] increments = increments(tree, 0.6, 0.35);
    NDArray noise = tree.noise(manager, DataType.FLOAT64, 0.6, 0.35);
    double[] values = noise.toDoubleArray();
    assertThat(noise.getShape()).isEqualTo(new Shape(4, 1));
    for (int i = 0; i < 4; i++) {
      assertThat(values[i]).isCloseTo(increments[i] / Math.sqrt(0.25), within(1e-14));
    }
  }

  @Test
  void gaussianIsTheDefaultBitwiseAndTheTreeIsAnotherNoise() {
    SamplerOptions gaussian = SamplerOptions.DEFAULT.with(SamplerOption.NOISE, "gaussian");
    for (String sampler : new String[] {"dpmpp-2m-sde", "euler-ancestral", "ddpm"}) {
      NDArray plain = answer(sampler, 20, SamplerOptions.DEFAULT);
      assertThat(Engine.maxError(answer(sampler, 20, gaussian), plain)).as(sampler).isZero();
      assertThat(Engine.maxError(answer(sampler, 20, brownian()), plain)).as(sampler)
          .isGreaterThan(0.1);
    }
  }

  private static SamplerOptions brownian() {
    return SamplerOptions.DEFAULT.with(SamplerOption.NOISE, "brownian-tree");
  }

  private NDArray answer(String sampler, int steps, SamplerOptions options) {
    SamplingJob job = SamplingJob.of(sampler, steps, 256, 11).withDataType(DataType.FLOAT64)
        .withOptions(options);
    return Engine.run(Engine.vpModel(), job, manager).samples();
  }

  /**
   * The median over samples of their distance: a sample near the boundary of two modes may land
   * in either at a coarse step count, which would swamp a mean.
   */
  private static double medianDistance(NDArray a, NDArray b) {
    double[] d = a.sub(b).square().sum(new int[] {1}).sqrt().toType(DataType.FLOAT64, false)
        .toDoubleArray();
    Arrays.sort(d);
    return d[d.length / 2];
  }

  /**
   * The strong error (median over 256 samples) against the same sampler at 1024 steps on one
   * Brownian path per sample falls at a steady rate from 32 to 128 steps (measured 0.74 to 1.18);
   * with fresh draws every step count is another path, and the answers stay as far apart as two
   * samples of the mixture.
   */
  @ParameterizedTest
  @ValueSource(strings = {"euler-maruyama", "euler-ancestral", "dpmpp-2m-sde", "dpmpp-sde",
      "dpmpp-3m-sde"})
  void answersConvergeAsStepsGrow(String sampler) {
    NDArray fine = answer(sampler, 1024, brownian());
    double[] errors = new double[3];
    for (int k = 0; k < 3; k++) {
      errors[k] = medianDistance(answer(sampler, 32 << k, brownian()), fine);
    }
    double rate = Math.log(errors[0] / errors[2]) / Math.log(4);
    double fresh = medianDistance(answer(sampler, 128, SamplerOptions.DEFAULT), fine);
    System.out.printf("%s: strong errors %s, rate %.2f; fresh noise at 128 steps %.3f%n",
        sampler, Arrays.toString(errors), rate, fresh);
    assertThat(errors[1]).isLessThan(errors[0]);
    assertThat(errors[2]).isLessThan(errors[1]);
    assertThat(rate).isGreaterThan(0.4);
    assertThat(fresh).isGreaterThan(10 * errors[2]);
  }
}
