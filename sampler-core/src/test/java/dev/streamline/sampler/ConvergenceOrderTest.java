package dev.streamline.sampler;

import static dev.streamline.sampler.SamplerOption.ATOL;
import static dev.streamline.sampler.SamplerOption.MAX_NFE;
import static dev.streamline.sampler.SamplerOption.RTOL;
import static dev.streamline.sampler.SamplerOption.TIME_GRID;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Observed orders of convergence on the analytic mixture's probability-flow ODE, against a dopri5
 * reference at tolerance 1e-11, with the same latents throughout.
 */
class ConvergenceOrderTest extends ManagedTest {

  private NDArray reference;
  private NDArray vpReference;

  @BeforeAll
  void solveReference() {
    SamplerOptions tight = SamplerOptions.DEFAULT.with(RTOL, 1e-11).with(ATOL, 1e-11)
        .with(MAX_NFE, 200_000);
    reference = Engine.run(Engine.flowModel(),
        Engine.exact("dopri5", 1).withOptions(tight), manager).samples();
    vpReference = Engine.run(Engine.vpModel(),
        Engine.exact("dopri5", 1).withOptions(tight), manager).samples();
  }

  private double error(String sampler, int steps) {
    return Engine.maxError(
        Engine.run(Engine.flowModel(), Engine.exact(sampler, steps), manager).samples(),
        reference);
  }

  private double observedOrder(String sampler, int steps) {
    return Math.log(error(sampler, steps) / error(sampler, 2 * steps)) / Math.log(2);
  }

  @Test
  void eulerIsFirstOrder() {
    assertThat(observedOrder("euler", 512)).isBetween(0.85, 1.15);
  }

  @Test
  void midpointAndHeunAreSecondOrder() {
    assertThat(observedOrder("midpoint", 128)).isBetween(1.8, 2.2);
    assertThat(observedOrder("heun", 128)).isBetween(1.8, 2.2);
  }

  /**
   * DPM-2's Euler steps from pure noise and to sigma = 0 cost it no order. On the flow's uniform
   * grid the steps next to the data end stay a fixed ratio apart in sigma, so its order there
   * nears 2 only slowly (1.60, 1.73, 1.80 from 64, 128, 256 steps).
   */
  @Test
  void dpm2IsSecondOrder() {
    assertThat(observedOrder("dpm2", 256)).isBetween(1.7, 2.3);
    assertThat(vpObservedOrder("dpm2", 128)).isBetween(1.7, 2.3);
  }

  @Test
  void rk4IsFourthOrder() {
    assertThat(observedOrder("rk4", 32)).isBetween(3.7, 4.3);
  }

  private double rmsError(String sampler, int steps) {
    NDArray samples = Engine.run(Engine.flowModel(), Engine.exact(sampler, steps), manager)
        .samples();
    return samples.sub(reference).square().mean().sqrt()
        .toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
  }

  @Test
  void dpmSolverAtTwentyStepsBeatsEulerAtOneHundred() {
    double euler = rmsError("euler", 100);
    assertThat(rmsError("dpmpp-2m", 20)).isLessThan(euler);
    assertThat(rmsError("unipc", 15)).isLessThan(euler);
  }

  /** Order on the VP model's log-SNR grid, where the multistep solvers are at home. */
  private double vpObservedOrder(String sampler, int steps) {
    return vpObservedOrder(sampler, steps, SamplerOptions.DEFAULT);
  }

  private double vpObservedOrder(String sampler, int steps, SamplerOptions options) {
    SamplerOptions grid = options.with(TIME_GRID, TimeGrid.Kind.LOG_SNR);
    double[] errors = new double[2];
    for (int k = 0; k < 2; k++) {
      NDArray samples = Engine.run(Engine.vpModel(),
          Engine.exact(sampler, steps << k).withOptions(grid), manager).samples();
      errors[k] = samples.sub(vpReference).square().mean().sqrt()
          .toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
    }
    return Math.log(errors[0] / errors[1]) / Math.log(2);
  }

  @Test
  void multistepSolversReachTheirOrders() {
    assertThat(vpObservedOrder("dpmpp-2m", 256)).isBetween(1.8, 2.3);
    assertThat(vpObservedOrder("unipc", 256)).isBetween(2.7, 3.3);
  }

  /**
   * SA-Solver without noise (eta = 0) is its PEC Adams method: the order-3 predictor's error
   * enters only through the estimate the order-4 corrector weighs by h, so it is of order 4
   * (2.25, 3.15, 4.28, 4.56, 4.39 from 16 to 256 steps, then 4.16).
   */
  @Test
  void saSolverWithoutNoiseIsFourthOrder() {
    assertThat(vpObservedOrder("sa-solver", 512,
        SamplerOptions.DEFAULT.with(SamplerOption.ETA, 0.0))).isBetween(3.7, 4.3);
  }

  @Test
  void dopri5MeetsItsTolerance() {
    SamplerOptions options = SamplerOptions.DEFAULT.with(RTOL, 1e-6).with(ATOL, 1e-6);
    SamplingResult result = Engine.run(Engine.flowModel(),
        Engine.exact("dopri5", 1).withOptions(options), manager);
    assertThat(Engine.maxError(result.samples(), reference)).isLessThan(1e-4);
    assertThat(result.nfe()).isLessThan(2000);
  }

  @Test
  void bosh3MeetsItsTolerance() {
    SamplerOptions options = SamplerOptions.DEFAULT.with(RTOL, 1e-6).with(ATOL, 1e-6);
    SamplingResult result = Engine.run(Engine.flowModel(),
        Engine.exact("bosh3", 1).withOptions(options), manager);
    assertThat(Engine.maxError(result.samples(), reference)).isLessThan(1e-4);
  }

  /**
   * dpm-adaptive's error to the reference falls as its tolerance tightens, and its evaluations
   * grow, on the flow (whose ends it leaves to two Euler steps in t) and on the VP model.
   */
  @Test
  void dpmAdaptiveFollowsItsTolerance() {
    for (boolean flow : new boolean[] {true, false}) {
      double previousError = Double.POSITIVE_INFINITY;
      int previousNfe = 0;
      for (double tolerance : new double[] {1e-3, 1e-5, 1e-7}) {
        SamplerOptions options = SamplerOptions.DEFAULT.with(RTOL, tolerance)
            .with(ATOL, tolerance);
        SamplingResult result = Engine.run(flow ? Engine.flowModel() : Engine.vpModel(),
            Engine.exact("dpm-adaptive", 1).withOptions(options), manager);
        double error = Engine.maxError(result.samples(), flow ? reference : vpReference);
        System.out.printf("dpm-adaptive on %s at tolerance %.0e: error %.3g, %d NFE%n",
            flow ? "flow" : "vp", tolerance, error, result.nfe());
        assertThat(error).isLessThan(previousError / 10);
        assertThat(result.nfe()).isGreaterThan(previousNfe);
        previousError = error;
        previousNfe = result.nfe();
      }
    }
  }
}
