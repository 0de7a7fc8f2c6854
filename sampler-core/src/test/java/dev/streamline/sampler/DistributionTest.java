package dev.streamline.sampler;

import static dev.streamline.sampler.SamplerOption.ATOL;
import static dev.streamline.sampler.SamplerOption.CHURN;
import static dev.streamline.sampler.SamplerOption.ETA;
import static dev.streamline.sampler.SamplerOption.NOISE;
import static dev.streamline.sampler.SamplerOption.RTOL;
import static dev.streamline.sampler.SamplerOption.SOLVER_TYPE;
import static dev.streamline.sampler.SamplerOption.TIME_GRID;
import static org.assertj.core.api.Assertions.assertThat;

import dev.streamline.sampler.analytic.GaussianMixture;
import dev.streamline.sampler.analytic.GaussianMixtureModel;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tens of thousands of samples from every sampler on the analytic mixture must reproduce its
 * component weights, means and covariances, and be as close to exact samples (energy distance) as
 * two sets of exact samples are to each other.
 */
class DistributionTest extends ManagedTest {

  private static final int N = 20_000;
  private static final int SUBSET = 2_000;
  private static final GaussianMixture MIXTURE = Engine.MIXTURE;

  private MixtureStatistics exact;
  private double[][] exactSubset;
  private double floor;

  @BeforeAll
  void exactSamples() {
    double[][] a = MIXTURE.sample(N, new Random(1));
    exact = MixtureStatistics.of(MIXTURE, a);
    exactSubset = Arrays.copyOf(a, SUBSET);
    floor = MixtureStatistics.energyDistance(exactSubset, MIXTURE.sample(SUBSET, new Random(2)));
  }

  static Stream<Arguments> samplers() {
    SamplerOptions none = SamplerOptions.DEFAULT;
    SamplerOptions logSnr = SamplerOptions.DEFAULT.with(TIME_GRID, TimeGrid.Kind.LOG_SNR);
    SamplerOptions loose = SamplerOptions.DEFAULT.with(RTOL, 1e-4).with(ATOL, 1e-4);
    SamplerOptions tree = SamplerOptions.DEFAULT.with(NOISE, "brownian-tree");
    SamplerOptions heun = SamplerOptions.DEFAULT.with(SOLVER_TYPE, "heun");
    return Stream.of(
        Arguments.of("flow", "euler", 100, none),
        Arguments.of("flow", "midpoint", 40, none),
        Arguments.of("flow", "heun", 40, none),
        Arguments.of("flow", "rk4", 20, none),
        Arguments.of("flow", "bosh3", 1, loose),
        Arguments.of("flow", "dopri5", 1, loose),
        Arguments.of("flow", "ddim", 100, none),
        Arguments.of("flow", "dpmpp-2m", 25, none),
        Arguments.of("flow", "edm-heun", 25, none),
        Arguments.of("flow", "unipc", 20, none),
        Arguments.of("flow", "ddpm", 200, none),
        Arguments.of("flow", "dpmpp-2m-sde", 50, none),
        Arguments.of("flow", "euler-maruyama", 400, logSnr),
        Arguments.of("flow", "dpm2", 25, none),
        Arguments.of("flow", "euler-ancestral", 200, none),
        Arguments.of("flow", "dpm2-ancestral", 50, none),
        Arguments.of("flow", "dpmpp-2s-ancestral", 50, none),
        Arguments.of("flow", "restart", 20, none),
        Arguments.of("flow", "dpm-adaptive", 1, loose),
        Arguments.of("flow", "sa-solver", 100, none),
        Arguments.of("vp", "ddpm", 500, none),
        Arguments.of("vp", "ddim", 200, SamplerOptions.DEFAULT.with(ETA, 0.5)),
        Arguments.of("vp", "euler-maruyama", 1000, none),
        Arguments.of("vp", "pc-langevin", 500, none),
        Arguments.of("vp", "dpmpp-2m-sde", 150, none),
        Arguments.of("vp", "dpmpp-2m", 50, logSnr),
        Arguments.of("vp", "edm-heun", 100, SamplerOptions.DEFAULT.with(CHURN, 40.0)),
        Arguments.of("vp", "rk4", 50, none),
        Arguments.of("vp", "euler-ancestral", 500, none),
        Arguments.of("vp", "dpm2-ancestral", 100, none),
        Arguments.of("vp", "dpmpp-2s-ancestral", 100, none),
        Arguments.of("vp", "restart", 40, none),
        Arguments.of("vp", "dpm-adaptive", 1, loose),
        Arguments.of("vp", "sa-solver", 200, logSnr),
        Arguments.of("vp-cosine/epsilon", "ddim", 100, none),
        Arguments.of("vp-cosine/v", "dpmpp-2m", 30, logSnr),
        Arguments.of("ve/score", "pc-langevin", 1000, none),
        Arguments.of("edm/x0", "edm-heun", 40, none),
        Arguments.of("edm/x0", "dpmpp-2m-sde", 100, none),
        Arguments.of("edm/x0", "dpmpp-2s-ancestral", 50, none),
        Arguments.of("flow", "dpmpp-sde", 50, none),
        Arguments.of("flow", "dpmpp-3m-sde", 50, none),
        Arguments.of("flow", "dpmpp-2m-sde", 50, heun),
        Arguments.of("vp", "dpmpp-sde", 100, none),
        Arguments.of("vp", "dpmpp-3m-sde", 150, none),
        Arguments.of("vp", "dpmpp-2m-sde", 150, heun),
        Arguments.of("edm/x0", "dpmpp-sde", 50, none),
        Arguments.of("edm/x0", "dpmpp-3m-sde", 100, none),
        Arguments.of("flow", "dpmpp-sde", 50, tree),
        Arguments.of("flow", "dpmpp-3m-sde", 50, tree),
        Arguments.of("flow", "dpmpp-2m-sde", 50, tree.with(SOLVER_TYPE, "heun")),
        Arguments.of("flow", "euler-ancestral", 200, tree),
        Arguments.of("flow", "euler-maruyama", 400, logSnr.with(NOISE, "brownian-tree")),
        Arguments.of("vp", "ddpm", 500, tree),
        Arguments.of("vp", "ddim", 200, tree.with(ETA, 0.5)),
        Arguments.of("vp", "euler-maruyama", 1000, tree),
        Arguments.of("vp", "dpmpp-2m-sde", 150, tree),
        Arguments.of("vp", "dpm2-ancestral", 100, tree),
        Arguments.of("vp", "dpmpp-2s-ancestral", 100, tree),
        Arguments.of("vp", "dpmpp-sde", 100, tree),
        Arguments.of("vp", "dpmpp-3m-sde", 150, tree),
        Arguments.of("edm/x0", "dpmpp-sde", 50, tree),
        Arguments.of("edm/x0", "dpmpp-3m-sde", 100, tree));
  }

  private static Model model(String name) {
    return switch (name) {
      case "flow" -> Engine.flowModel();
      case "vp" -> Engine.vpModel();
      case "vp-cosine/epsilon" -> new GaussianMixtureModel(MIXTURE, new NoiseProcess.VpCosine(),
          Parameterization.EPSILON);
      case "vp-cosine/v" -> new GaussianMixtureModel(MIXTURE, new NoiseProcess.VpCosine(),
          Parameterization.V);
      case "ve/score" -> new GaussianMixtureModel(MIXTURE, new NoiseProcess.VeGeometric(),
          Parameterization.SCORE);
      case "edm/x0" -> new GaussianMixtureModel(MIXTURE, new NoiseProcess.Edm(),
          Parameterization.X0);
      default -> throw new IllegalArgumentException(name);
    };
  }

  @ParameterizedTest(name = "{1} on {0}, {2} steps, {3}")
  @MethodSource("samplers")
  void matchesTheMixture(String process, String sampler, int steps, SamplerOptions options) {
    Model model = model(process);
    SamplingJob job = SamplingJob.of(sampler, steps, N, 1234).withOptions(options);
    double[][] samples = Engine.rows(Engine.run(model, job, manager).samples());

    double[] gap = MixtureStatistics.of(MIXTURE, samples).distance(exact);
    double energy = MixtureStatistics.energyDistance(Arrays.copyOf(samples, SUBSET), exactSubset);
    String report = String.format("weights %.4f means %.4f covariances %.4f energy %.5f (floor %.5f)",
        gap[0], gap[1], gap[2], energy, floor);
    System.out.println(sampler + " on " + process + ": " + report);
    assertThat(gap[0]).as(report).isLessThan(0.015);
    assertThat(gap[1]).as(report).isLessThan(0.03);
    assertThat(gap[2]).as(report).isLessThan(0.03);
    assertThat(energy).as(report).isLessThan(3 * floor);
  }

  /**
   * lcm is exact where its steps are: from pure noise the x0 estimate is E[x0], the mixture's
   * mean, for every sample at one evaluation; with two steps the first lands every sample at
   * alpha(t1)·mean + sigma(t1)·z, so the answer is E[x0 | x_t1] over those points, whose distribution is
   * drawn here independently (the points on the host, the estimate from the model).
   */
  @Test
  void lcmIsTheX0EstimateNoisedAfresh() {
    Model model = Engine.flowModel();
    SamplingResult one = Engine.run(model, SamplingJob.of("lcm", 1, SUBSET, 7), manager);
    double[] mean = new double[2];
    for (int c = 0; c < MIXTURE.components(); c++) {
      for (int i = 0; i < 2; i++) {
        mean[i] += MIXTURE.weights()[c] * MIXTURE.means().get(c)[i];
      }
    }
    for (double[] sample : Engine.rows(one.samples())) {
      assertThat(sample[0]).isCloseTo(mean[0], org.assertj.core.data.Offset.offset(1e-5));
      assertThat(sample[1]).isCloseTo(mean[1], org.assertj.core.data.Offset.offset(1e-5));
    }
    assertThat(one.nfe()).isEqualTo(1);

    SamplingResult two = Engine.run(model, SamplingJob.of("lcm", 2, SUBSET, 7), manager);
    double t1 = TimeGrid.DEFAULT.times(model.process(), 2)[1];
    double[][] lcm = Engine.rows(two.samples());
    double[][] law = estimatesAt(model, t1, mean, N, 3);
    double energy = MixtureStatistics.energyDistance(lcm, law);
    double ownFloor = MixtureStatistics.energyDistance(estimatesAt(model, t1, mean, SUBSET, 4),
        law);
    double toMixture = MixtureStatistics.energyDistance(lcm, exactSubset);
    assertThat(two.nfe()).isEqualTo(2);
    assertThat(energy).isLessThan(3 * ownFloor);
    assertThat(toMixture).isGreaterThan(10 * floor);
  }

  /** E[x0 | x_t] at n points alpha(t)·mean + sigma(t)·z drawn on the host from {@code seed}. */
  private double[][] estimatesAt(Model model, double t, double[] mean, int n, long seed) {
    Random random = new Random(seed);
    double[] points = new double[2 * n];
    for (int j = 0; j < points.length; j++) {
      points[j] = model.process().alpha(t) * mean[j % 2]
          + model.process().sigma(t) * random.nextGaussian();
    }
    NDArray y = manager.create(points, new Shape(n, 2)).toType(DataType.FLOAT32, false);
    return Engine.rows(new Denoiser(model, null, 1.0, X0Guard.NONE).estimate(y, t).x0());
  }
}
