package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.analytic.GaussianMixture;
import dev.streamline.sampler.analytic.GaussianMixtureModel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-sample diagnostics, on fields whose answers are known. */
class DiagnosticsTest extends ManagedTest {

  /** dx/dt = −λ·x under the linear interpolant: stiff for large λ, contracting by e^(−λ). */
  private record Decay(double lambda) implements Model {
    @Override public Parameterization parameterization() { return Parameterization.VELOCITY; }
    @Override public NoiseProcess process() { return Engine.FLOW; }
    @Override public Shape sampleShape() { return new Shape(2); }

    @Override
    public NDArray predict(NDArray x, NDArray t, int[] labels) {
      return x.mul(-lambda);
    }
  }

  private List<Diagnostics.Sample> diagnose(Model model, SamplingJob job, Inspection inspection) {
    SamplingResult result = SamplingLoop.sampleChecked(model, job.forModel(model), inspection,
        manager);
    assertThat(result.diagnostics()).hasSize(job.n());
    return result.diagnostics();
  }

  private static SamplingJob job(String sampler, int steps, int n) {
    return SamplingJob.of(sampler, steps, n, 21).withDataType(DataType.FLOAT64);
  }

  private static final Inspection DIAGNOSTICS = new Inspection(true, false);

  @Test
  void theStiffnessIndicatorRisesOnAStiffField() {
    double stiff = diagnose(new Decay(1000), job("dopri5", 1, 4), DIAGNOSTICS).stream()
        .mapToDouble(Diagnostics.Sample::stiffness).max().orElseThrow();
    double mild = diagnose(new Decay(0.5), job("dopri5", 1, 4), DIAGNOSTICS).stream()
        .mapToDouble(Diagnostics.Sample::stiffness).max().orElseThrow();
    assertThat(stiff).isGreaterThan(2.5);
    assertThat(mild).isLessThanOrEqualTo(0.5 + 1e-9);
  }

  @Test
  void acceptedAndRejectedStepsAddUpToTheNfeOfTheTableau() {
    for (String sampler : new String[] {"dopri5", "bosh3"}) {
      // FSAL: every attempt after the first derivative and Hairer's trial costs stages − 1.
      int perAttempt = sampler.equals("dopri5") ? 6 : 3;
      SamplingJob job = job(sampler, 1, 16);
      SamplingResult result = SamplingLoop.sampleChecked(Engine.flowModel(),
          job.forModel(Engine.flowModel()), DIAGNOSTICS, manager);
      int most = 0;
      for (Diagnostics.Sample s : result.diagnostics()) {
        assertThat(s.nfe()).as(sampler)
            .isEqualTo(2 + perAttempt * (s.acceptedSteps() + s.rejectedSteps()));
        assertThat(s.minStep()).isPositive().isLessThanOrEqualTo(s.maxStep());
        assertThat(s.maxError()).isPositive().isLessThanOrEqualTo(1.0);
        most = Math.max(most, s.nfe());
      }
      assertThat(most).isEqualTo(result.nfe());
      assertThat(result.diagnostics().get(0).stiffness() == null).isEqualTo(sampler.equals("bosh3"));
    }
    List<Diagnostics.Sample> stiff = diagnose(new Decay(1000), job("dopri5", 1, 2), DIAGNOSTICS);
    assertThat(stiff.get(0).rejectedSteps()).isPositive();
  }

  @Test
  void theGuardIsCountedWhereItActs() {
    SamplerOptions tight = SamplerOptions.DEFAULT.with(SamplerOption.CLIP, 0.5);
    SamplerOptions loose = SamplerOptions.DEFAULT.with(SamplerOption.CLIP, 50.0);
    List<Diagnostics.Sample> clipped = diagnose(Engine.flowModel(),
        job("euler", 10, 8).withOptions(tight), DIAGNOSTICS);
    List<Diagnostics.Sample> free = diagnose(Engine.flowModel(),
        job("euler", 10, 8).withOptions(loose), DIAGNOSTICS);
    assertThat(clipped).allSatisfy(s -> assertThat(s.guardActed()).isBetween(1, 10));
    assertThat(free).allSatisfy(s -> assertThat(s.guardActed()).isZero());
    assertThat(free).allSatisfy(s -> assertThat(s.nfe()).isEqualTo(10));
  }

  /**
   * Data N(0, I/4) under the linear interpolant moves along rays: x_t = f(t)·z with f(t) =
   * √(t²/4 + (1−t)²), which dips to √0.2 at t = 0.8 before ending at 1/2. The path is
   * |z|·(1 − 2√0.2 + 1/2) and its chord |z|/2.
   */
  @Test
  void pathLengthAndStraightnessOfARay() {
    GaussianMixtureModel rays = new GaussianMixtureModel(new GaussianMixture(new double[] {1},
        new double[][] {{0, 0}}, new double[][][] {{{0.25, 0}, {0, 0.25}}}), Engine.FLOW,
        Parameterization.VELOCITY);
    SamplingJob job = job("rk4", 400, 4);
    double[][] z = Engine.rows(Engine.latents(manager, 4, 21));
    List<Diagnostics.Sample> samples = diagnose(rays, job, DIAGNOSTICS);
    double dip = Math.sqrt(0.2);
    for (int i = 0; i < 4; i++) {
      double norm = Math.hypot(z[i][0], z[i][1]);
      assertThat(samples.get(i).pathLength()).isCloseTo(norm * (1.5 - 2 * dip), within(1e-4));
      assertThat(samples.get(i).straightness()).isCloseTo(0.5 / (1.5 - 2 * dip), within(1e-4));
    }
  }

  @Test
  void sensitivityIsTheFlowMapsGrowth() {
    List<Diagnostics.Sample> samples = diagnose(new Decay(1), job("dopri5", 1, 4),
        new Inspection(false, true));
    assertThat(samples).allSatisfy(s ->
        assertThat(s.sensitivity()).isCloseTo(Math.exp(-1), within(1e-4)));
    List<Diagnostics.Sample> backwards = SamplingLoop.encode(new Decay(1), job("rk4", 32, 4),
        Engine.latents(manager, 4, 3), new Inspection(false, true), manager).diagnostics();
    assertThat(backwards).allSatisfy(s ->
        assertThat(s.sensitivity()).isCloseTo(Math.exp(1), within(1e-4)));
  }
}
