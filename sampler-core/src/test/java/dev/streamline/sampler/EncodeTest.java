package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.streamline.sampler.analytic.GaussianMixture;
import dev.streamline.sampler.analytic.GaussianMixtureModel;
import dev.streamline.sampler.analytic.SymmetricEigen;
import org.junit.jupiter.api.Test;

/** Inversion: data carried back to the noise end, against the exact backward map. */
class EncodeTest extends ManagedTest {

  private static final double[] MEAN = {1.0, -0.5};
  private static final double[][] COVARIANCE = {{0.3, 0.1}, {0.1, 0.2}};

  /**
   * Under the linear interpolant, Gaussian data N(mu, S) has marginals N(t·mu, t²S + (1−t)²I),
   * all diagonal in S's eigenbasis, so the flow map is affine and its inverse at the data end is
   * z = S^(-1/2)·(x − mu).
   */
  private static double[] exactLatent(double[] x) {
    SymmetricEigen eigen = SymmetricEigen.of(COVARIANCE);
    int d = x.length;
    double[] z = new double[d];
    for (int j = 0; j < d; j++) {
      double y = 0;
      for (int r = 0; r < d; r++) {
        y += eigen.vectors()[r][j] * (x[r] - MEAN[r]);
      }
      y /= Math.sqrt(eigen.values()[j]);
      for (int r = 0; r < d; r++) {
        z[r] += eigen.vectors()[r][j] * y;
      }
    }
    return z;
  }

  private static GaussianMixtureModel gaussianFlow() {
    return new GaussianMixtureModel(new GaussianMixture(new double[] {1}, new double[][] {MEAN},
        new double[][][] {COVARIANCE}), Engine.FLOW, Parameterization.VELOCITY);
  }

  private NDArray encode(Model model, SamplingJob job, NDArray data) {
    return SamplingLoop.encode(model, job.forModel(model).forEncoding(), data, Inspection.NONE,
        manager).samples();
  }

  @Test
  void encodingTheGaussianFlowGivesTheExactBackwardMap() {
    double[][] x = new GaussianMixture(new double[] {1}, new double[][] {MEAN},
        new double[][][] {COVARIANCE}).sample(32, new java.util.Random(5));
    NDArray data = manager.create(java.util.Arrays.stream(x)
        .flatMapToDouble(java.util.Arrays::stream).toArray(), new ai.djl.ndarray.types.Shape(32, 2));
    double[][] z = Engine.rows(encode(gaussianFlow(), job("rk4", 64, 32), data));
    double worst = 0;
    for (int i = 0; i < x.length; i++) {
      double[] exact = exactLatent(x[i]);
      for (int j = 0; j < 2; j++) {
        worst = Math.max(worst, Math.abs(z[i][j] - exact[j]));
      }
    }
    assertThat(worst).isLessThan(1e-6);
  }

  private static SamplingJob job(String sampler, int steps, int n) {
    return SamplingJob.of(sampler, steps, n, 7).withDataType(DataType.FLOAT64);
  }

  /** Sample from latents, encode the samples, sample again: the round trip's error by steps. */
  private double roundTrip(Model model, String sampler, int steps) {
    NDArray latents = Engine.latents(manager, 64, 9);
    float[] flat = latents.toType(DataType.FLOAT32, false).toFloatArray();
    SamplingJob job = job(sampler, steps, 64).withLatents(flat);
    NDArray samples = Engine.run(model, job, manager).samples();
    NDArray back = encode(model, job(sampler, steps, 64), samples);
    return Engine.maxError(back, latents.toType(DataType.FLOAT32, false)
        .toType(DataType.FLOAT64, false));
  }

  @Test
  void roundTripsShrinkWithTheSamplersOrder() {
    double coarse = roundTrip(Engine.flowModel(), "heun", 16);
    double fine = roundTrip(Engine.flowModel(), "heun", 32);
    assertThat(fine).isLessThan(coarse / 3);
    assertThat(roundTrip(Engine.flowModel(), "rk4", 64)).isLessThan(1e-4);
    double adaptive = roundTrip(Engine.flowModel(), "dopri5", 1);
    assertThat(adaptive).isLessThan(1e-3);
  }

  @Test
  void ddimInversionRoundTripsOnTheVpModel() {
    double coarse = roundTrip(Engine.vpModel(), "ddim", 50);
    double fine = roundTrip(Engine.vpModel(), "ddim", 200);
    assertThat(fine).isLessThan(coarse / 2);
    assertThat(fine).isLessThan(0.1);
  }

  @Test
  void refusesSamplersThatDrawNoiseOrHaveNoInverse() {
    assertThatThrownBy(() -> job("ddpm", 10, 1).forEncoding())
        .isInstanceOf(InvalidJobException.class).hasMessageContaining("draws noise")
        .hasMessageContaining("ddim");
    assertThatThrownBy(() -> job("ddim", 10, 1)
        .withOptions(SamplerOptions.DEFAULT.with(SamplerOption.ETA, 0.5)).forEncoding())
        .isInstanceOf(InvalidJobException.class).hasMessageContaining("draws noise");
    assertThatThrownBy(() -> job("unipc", 10, 1).forEncoding())
        .isInstanceOf(InvalidJobException.class).hasMessageContaining("no inverse");
  }
}
