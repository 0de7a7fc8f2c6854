package dev.streamline.models.store;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.Divergence;
import dev.streamline.sampler.Inspection;
import dev.streamline.sampler.Model;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.SamplerOption;
import dev.streamline.sampler.SamplerOptions;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SamplingLoop;
import dev.streamline.sampler.analytic.GaussianMixture;
import dev.streamline.sampler.analytic.GaussianMixtureModel;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Networks exported in other ecosystems' conventions (src/test/scripts/make-convention-fixtures.py)
 * compute the exact prediction of one Gaussian mixture, each in its own convention: time input,
 * schedule, output and preconditioning. Served through their model directories, their samples
 * must equal those of the closed-form model on the resolved process, latent for latent, so a
 * sign, a time offset or a √ᾱ mix-up anywhere on the way fails.
 */
public class ForeignConventionsTest {

  /** The mixture the fixtures compute: weights, means, isotropic standard deviations. */
  static final GaussianMixture MIXTURE = mixture(new double[] {0.2, 0.5, 0.3},
      new double[][] {{-2.0, 0.0}, {1.5, 1.0}, {0.5, -1.5}}, new double[] {0.3, 0.5, 0.4});

  private static NDManager manager;

  @BeforeAll
  static void start() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void stop() {
    manager.close();
  }

  static GaussianMixture mixture(double[] weights, double[][] means, double[] stds) {
    double[][][] covariances = new double[weights.length][][];
    for (int k = 0; k < weights.length; k++) {
      covariances[k] = new double[][] {{stds[k] * stds[k], 0}, {0, stds[k] * stds[k]}};
    }
    return new GaussianMixture(weights, means, covariances);
  }

  public static Path fixture(String name) {
    try {
      return Path.of(ForeignConventionsTest.class.getResource("/conventions/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static Stream<Arguments> cases() {
    List<String> vp = List.of("vp-linear-epsilon", "vp-linear-v", "vp-linear-sample",
        "vp-scaled-epsilon", "vp-scaled-v", "vp-scaled-sample", "vp-cos-epsilon", "vp-cos-v",
        "vp-cos-sample");
    Stream<Arguments> discrete = vp.stream().flatMap(name ->
        Stream.of("ddim", "dpmpp-2m", "heun", "euler-maruyama").map(s -> Arguments.of(name, s)));
    Stream<Arguments> continuous = Stream.of("flow-sd3", "edm-raw-epsilon", "edm-raw-v",
            "edm-precond")
        .flatMap(name -> Stream.of("euler", "dpmpp-2m", "heun", "euler-maruyama")
            .map(s -> Arguments.of(name, s)));
    return Stream.concat(discrete, continuous);
  }

  @ParameterizedTest(name = "{0} with {1}")
  @MethodSource("cases")
  void servedSamplesEqualTheClosedFormOnes(String name, String sampler) {
    // The network runs in float32; a convention read wrong moves samples by more (below).
    assertThat(deviation(fixture(name), sampler, MIXTURE, null))
        .as("largest deviation from the closed-form samples").isLessThan(2e-3);
  }

  /**
   * The exact log-likelihood through the SD3 export — its time scaling and noise − x0 output
   * converted as everywhere else — is the mixture's closed-form density: a sign or time offset in
   * the convention would move it.
   */
  @Test
  void likelihoodThroughTheSd3ConventionIsTheMixtureDensity() {
    double[][] points = MIXTURE.sample(50, new java.util.Random(3));
    try (NDManager scope = manager.newSubManager();
        ModelStore.Loaded served = ModelStore.load(fixture("flow-sd3"), scope)) {
      Model model = served.model();
      SamplingJob job = SamplingJob.of("dopri5", 1, points.length, 0)
          .withDataType(DataType.FLOAT64)
          .withOptions(SamplerOptions.DEFAULT.with(SamplerOption.RTOL, 1e-6)
              .with(SamplerOption.ATOL, 1e-6))
          .forModel(model).forLikelihood();
      NDArray data = scope.create(java.util.Arrays.stream(points)
          .flatMapToDouble(java.util.Arrays::stream).toArray(), new Shape(points.length, 2));
      double[] logLikelihood = SamplingLoop.likelihood(model, job, data, Divergence.exact(),
          Inspection.NONE, scope).logLikelihood();
      NoiseProcess process = model.process();
      for (int i = 0; i < points.length; i++) {
        assertThat(logLikelihood[i]).isCloseTo(MIXTURE.logDensity(points[i],
            process.alpha(process.dataTime()), process.sigma(process.dataTime())),
            org.assertj.core.data.Offset.offset(1e-3));
      }
    }
  }

  @ParameterizedTest(name = "class {0}")
  @org.junit.jupiter.params.provider.ValueSource(ints = {0, 1, 2})
  void aConditionalNetworksClassesAreItsComponents(int label) {
    GaussianMixture component = mixture(new double[] {1}, new double[][] {MIXTURE.means()
        .get(label)}, new double[] {Math.sqrt(MIXTURE.covariances().get(label)[0][0])});
    assertThat(deviation(fixture("vp-linear-epsilon-cond"), "ddim", component, label))
        .isLessThan(2e-3);
    assertThat(deviation(fixture("vp-linear-epsilon-cond"), "ddim", MIXTURE, Model.NULL_LABEL))
        .isLessThan(2e-3);
  }

  /** A convention read wrong anywhere — sign, time, prediction type — is far off the exact samples. */
  @ParameterizedTest(name = "{0}: {1} -> {2}")
  @CsvSource(delimiter = '|', value = {
      "vp-linear-epsilon|model.json|\"scheduler\": \"scheduler_config.json\"|\"scheduler\":"
          + " \"scheduler_config.json\", \"parameterization\": \"v\"",
      "vp-scaled-v|model.json|\"scheduler\": \"scheduler_config.json\"|\"scheduler\":"
          + " \"scheduler_config.json\", \"timeInput\": {\"type\": \"t\", \"scale\": 0.99}",
      "vp-cos-sample|scheduler_config.json|squaredcos_cap_v2|linear",
      "flow-sd3|model.json|\"scheduler\": \"scheduler_config.json\"|\"scheduler\":"
          + " \"scheduler_config.json\", \"timeInput\": {\"type\": \"t\", \"scale\": 1000}",
      "edm-raw-v|scheduler_config.json|v_prediction|epsilon",
      "edm-precond|model.json|\"sigma\"|\"log-snr\"",
  })
  void aConventionReadWrongFails(String name, String file, String from, String to,
      @TempDir Path copy) throws IOException {
    for (String entry : List.of("model.pt", "model.json", "scheduler_config.json")) {
      Path source = fixture(name).resolve(entry);
      if (Files.exists(source)) {
        Files.copy(source, copy.resolve(entry));
      }
    }
    String text = Files.readString(copy.resolve(file));
    assertThat(text).contains(from);
    Files.writeString(copy.resolve(file), text.replace(from, to));
    // Five times the tolerance of the exact test: a timestep read 1% off already moves samples by 0.02.
    assertThat(deviation(copy, "dpmpp-2m", MIXTURE, null)).isGreaterThan(1e-2);
  }

  /**
   * Networks trained in three ecosystems' conventions (src/test/scripts/train-convention-models.py)
   * sample the mixture, through Streamline and their scheduler's defaults, as well as a second
   * data set does: energy distance within 3× of the data-vs-data floor.
   */
  @ParameterizedTest(name = "{0} with {1}, {2} steps")
  @CsvSource({"ddpm-epsilon, ddpm, 50", "ddpm-epsilon, dpmpp-2m, 25", "sd3-flow, euler, 28",
      "edm-raw, euler, 50", "edm-raw, heun, 18"})
  void networksTrainedInThoseConventionsReachTheMixture(String name, String sampler, int steps)
      throws URISyntaxException {
    Path directory = Path.of(ForeignConventionsTest.class.getResource("/trained-elsewhere/" + name)
        .toURI());
    int n = 2000;
    double[][] data = MIXTURE.sample(n, new java.util.Random(1));
    double floor = dev.streamline.models.metrics.EnergyDistance.of(
        MIXTURE.sample(n, new java.util.Random(2)), data);
    try (NDManager scope = manager.newSubManager();
        ModelStore.Loaded served = ModelStore.load(directory, scope)) {
      float[] flat = SamplingLoop.sample(served.model(), SamplingJob.of(sampler, steps, n, 0),
          scope).samples().toFloatArray();
      double[][] samples = new double[n][2];
      for (int i = 0; i < n; i++) {
        samples[i][0] = flat[2 * i];
        samples[i][1] = flat[2 * i + 1];
      }
      double energy = dev.streamline.models.metrics.EnergyDistance.of(samples, data);
      assertThat(energy).as("energy distance, floor %.5f", floor).isLessThan(3 * floor);
    }
  }

  private static double deviation(Path directory, String sampler, GaussianMixture target,
      Integer label) {
    try (NDManager scope = manager.newSubManager();
        ModelStore.Loaded served = ModelStore.load(directory, scope)) {
      Model analytic = new GaussianMixtureModel(target, served.conventions().process(),
          served.model().parameterization());
      SamplingJob job = SamplingJob.of(sampler, 12, 64, 3).withDataType(DataType.FLOAT64);
      SamplingJob labelled = label == null ? job : job.withLabels(new int[] {label}, 1.0);
      float[] got = SamplingLoop.sample(served.model(), labelled.forModel(served.model()), scope)
          .samples().toType(DataType.FLOAT32, false).toFloatArray();
      NDArray exact = SamplingLoop.sample(analytic, job.forModel(served.model()), scope)
          .samples();
      float[] want = exact.toType(DataType.FLOAT32, false).toFloatArray();
      double spread = exact.sub(exact.mean(new int[] {0})).square().mean()
          .toType(DataType.FLOAT64, false).getDouble();
      assertThat(spread).as("samples spread over the target").isGreaterThan(0.05);
      double worst = 0;
      for (int i = 0; i < got.length; i++) {
        worst = Math.max(worst, Math.abs(got[i] - want[i]));
      }
      return worst;
    }
  }
}
