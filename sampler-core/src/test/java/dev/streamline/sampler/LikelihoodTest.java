package dev.streamline.sampler;

import static dev.streamline.sampler.SamplerOption.ATOL;
import static dev.streamline.sampler.SamplerOption.MAX_NFE;
import static dev.streamline.sampler.SamplerOption.RTOL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.analytic.GaussianMixtureModel;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The log-likelihood by the instantaneous change of variables, against the closed-form density
 * of the analytic mixture.
 */
class LikelihoodTest extends ManagedTest {

  private static final SamplerOptions TIGHT = SamplerOptions.DEFAULT.with(RTOL, 1e-7)
      .with(ATOL, 1e-7).with(MAX_NFE, 100_000);

  private double[][] points(int n, long seed) {
    return Engine.MIXTURE.sample(n, new Random(seed));
  }

  private NDArray array(double[][] points) {
    return manager.create(Arrays.stream(points).flatMapToDouble(Arrays::stream).toArray(),
        new Shape(points.length, points[0].length));
  }

  private LikelihoodResult likelihood(GaussianMixtureModel model, double[][] points,
      SamplingJob job, Divergence divergence) {
    return SamplingLoop.likelihood(model, job.forModel(model).forLikelihood(), array(points),
        divergence, Inspection.NONE, manager);
  }

  private static SamplingJob job(String sampler, int steps, int n) {
    return SamplingJob.of(sampler, steps, n, 3).withDataType(DataType.FLOAT64);
  }

  private static double closedForm(GaussianMixtureModel model, double[] x) {
    NoiseProcess p = model.process();
    return model.mixture().logDensity(x, p.alpha(p.dataTime()), p.sigma(p.dataTime()));
  }

  @Test
  void exactDopri5EqualsTheFlowModelsMixtureDensity() {
    double[][] x = points(200, 1);
    LikelihoodResult result = likelihood(Engine.flowModel(), x,
        job("dopri5", 1, x.length).withOptions(TIGHT), Divergence.exact());
    for (int i = 0; i < x.length; i++) {
      assertThat(result.logLikelihood()[i])
          .isCloseTo(closedForm(Engine.flowModel(), x[i]), org.assertj.core.data.Offset.offset(1e-3));
    }
  }

  /**
   * The VP model's noise end still carries alpha(1) ≈ 0.0066 of the data, so its prior N(0,
   * sigma²) is not the exact marginal there; the answer is the closed form plus exactly that
   * difference at the sample's latent.
   */
  @Test
  void exactDopri5EqualsTheVpMarginalUpToItsPrior() {
    GaussianMixtureModel model = Engine.vpModel();
    NoiseProcess p = model.process();
    double[][] x = points(200, 2);
    LikelihoodResult result = likelihood(model, x, job("dopri5", 1, x.length).withOptions(TIGHT),
        Divergence.exact());
    double[][] latents = Engine.rows(result.latents());
    double alpha = p.alpha(p.noiseTime());
    double sigma = p.sigma(p.noiseTime());
    double worst = 0;
    double worstPrior = 0;
    for (int i = 0; i < x.length; i++) {
      double[] end = Arrays.stream(latents[i]).map(v -> v * sigma).toArray();
      double prior = -0.5 * Arrays.stream(latents[i]).map(v -> v * v).sum()
          - end.length * (Math.log(sigma) + 0.5 * Math.log(2 * Math.PI));
      double mismatch = prior - model.mixture().logDensity(end, alpha, sigma);
      worst = Math.max(worst, Math.abs(result.logLikelihood()[i] - closedForm(model, x[i])
          - mismatch));
      worstPrior = Math.max(worstPrior, Math.abs(mismatch));
    }
    assertThat(worst).isLessThan(1e-3);
    // The correction is real: without it the answer would miss by more than the tolerance.
    assertThat(worstPrior).isGreaterThan(3e-3);
  }

  private double error(String sampler, int steps, double[][] x) {
    LikelihoodResult result = likelihood(Engine.flowModel(), x, job(sampler, steps, x.length),
        Divergence.exact());
    double worst = 0;
    for (int i = 0; i < x.length; i++) {
      worst = Math.max(worst,
          Math.abs(result.logLikelihood()[i] - closedForm(Engine.flowModel(), x[i])));
    }
    return worst;
  }

  private double order(String sampler, int steps) {
    double[][] x = points(16, 4);
    return Math.log(error(sampler, steps, x) / error(sampler, 2 * steps, x)) / Math.log(2);
  }

  @Test
  void fixedStepSamplersConvergeAtTheirOrder() {
    assertThat(order("euler", 256)).isBetween(0.85, 1.15);
    assertThat(order("heun", 64)).isBetween(1.8, 2.2);
    assertThat(order("rk4", 16)).isBetween(3.6, 4.4);
  }

  /**
   * n copies of one point get n probe sets (sample i draws from seed + i); the path does not
   * depend on the probes, so the Hutchinson estimate minus the exact one is the estimator's
   * error alone.
   */
  private double[] hutchinsonErrors(int probes) {
    int n = 400;
    double[][] x = new double[n][];
    Arrays.fill(x, new double[] {1.2, -0.4});
    SamplingJob job = job("rk4", 32, n);
    double[] exact = likelihood(Engine.flowModel(), x, job, Divergence.exact()).logLikelihood();
    double[] estimate = likelihood(Engine.flowModel(), x, job, Divergence.hutchinson(probes))
        .logLikelihood();
    double[] errors = new double[n];
    Arrays.setAll(errors, i -> estimate[i] - exact[i]);
    return errors;
  }

  @Test
  void hutchinsonIsUnbiasedAndItsSpreadShrinksAsOneOverRootProbes() {
    double[] one = hutchinsonErrors(1);
    double[] sixteen = hutchinsonErrors(16);
    for (double[] errors : new double[][] {one, sixteen}) {
      assertThat(Math.abs(mean(errors))).isLessThan(3 * std(errors) / Math.sqrt(errors.length));
    }
    assertThat(std(one)).isGreaterThan(0.05);
    assertThat(std(one) / std(sixteen)).isBetween(3.2, 5.0);
  }

  @Test
  void refusesSdeSamplersAndTheX0Guard() {
    assertThatThrownBy(() -> job("ddpm", 10, 1).forLikelihood())
        .isInstanceOf(InvalidJobException.class).hasMessageContaining("[euler, midpoint");
    assertThatThrownBy(() -> job("dpmpp-2m", 10, 1).forLikelihood())
        .isInstanceOf(InvalidJobException.class).hasMessageContaining("likelihood integrates");
    assertThatThrownBy(() -> job("heun", 10, 1)
        .withOptions(SamplerOptions.DEFAULT.with(SamplerOption.CLIP, 1.0)).forLikelihood())
        .isInstanceOf(InvalidJobException.class).hasMessageContaining("clip");
  }

  private static double mean(double[] values) {
    return Arrays.stream(values).average().orElseThrow();
  }

  private static double std(double[] values) {
    double m = mean(values);
    return Math.sqrt(Arrays.stream(values).map(v -> (v - m) * (v - m)).sum()
        / (values.length - 1));
  }
}
