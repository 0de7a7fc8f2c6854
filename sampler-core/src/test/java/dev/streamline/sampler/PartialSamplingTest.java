package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Partial sampling, the basis of img2img: a run of steps [startStep, endStep) of its schedule,
 * from given latents as the state at its first step, continues exactly where another stopped.
 */
class PartialSamplingTest extends ManagedTest {

  private static SamplingJob job(String sampler, int steps, Map<SamplerOption, ?> options) {
    return SamplingJob.of(sampler, steps, 32, 7).withOptions(SamplerOptions.of(options));
  }

  private static float[] flat(NDArray x) {
    return x.toType(DataType.FLOAT32, false).toFloatArray();
  }

  /**
   * In float32 the state handed over is the state itself, so steps [0, k) then [k, N) are
   * bitwise the whole run, on the flow (Heun) and on VP, whose closing jump to the clean
   * estimate comes only at the schedule's end; and their NFE add up to the whole run's.
   */
  @Test
  void twoPartsAreTheWholeRun() {
    record Case(Model model, String sampler, int evals, int jump) {}
    for (Case c : List.of(new Case(Engine.flowModel(), "heun", 2, 0),
        new Case(Engine.vpModel(), "ddim", 1, 1), new Case(Engine.vpModel(), "dpm2", 2, 1))) {
      SamplingResult whole = Engine.run(c.model(), job(c.sampler(), 10, Map.of()), manager);
      SamplingResult head = Engine.run(c.model(),
          job(c.sampler(), 10, Map.of(SamplerOption.END_STEP, 4)), manager);
      SamplingResult tail = Engine.run(c.model(),
          job(c.sampler(), 10, Map.of(SamplerOption.START_STEP, 4))
              .withLatents(flat(head.samples())), manager);
      assertThat(tail.samples().toFloatArray()).as(c.sampler())
          .isEqualTo(whole.samples().toFloatArray());
      assertThat(head.nfe()).isEqualTo(4 * c.evals());
      assertThat(tail.nfe()).isEqualTo(6 * c.evals() + c.jump());
      assertThat(whole.nfe()).isEqualTo(head.nfe() + tail.nfe());
    }
  }

  /** A middle part: [3, 7) between [0, 3) and [7, 10), with the trajectory starting at t_3. */
  @Test
  void aMiddlePartStartsAndStopsAtItsSteps() {
    Model model = Engine.flowModel();
    SamplingResult whole = Engine.run(model, job("euler", 10, Map.of()).withTrajectory(true),
        manager);
    SamplingResult head = Engine.run(model, job("euler", 10, Map.of(SamplerOption.END_STEP, 3)),
        manager);
    SamplingResult middle = Engine.run(model, job("euler", 10,
        Map.of(SamplerOption.START_STEP, 3, SamplerOption.END_STEP, 7))
        .withLatents(flat(head.samples())).withTrajectory(true), manager);
    assertThat(middle.nfe()).isEqualTo(4);
    List<Trajectory.Frame> frames = middle.trajectory();
    assertThat(frames).hasSize(5);
    assertThat(frames.get(0).times()[0]).isEqualTo(0.3, within(1e-12));
    assertThat(frames.get(4).times()[0]).isEqualTo(0.7, within(1e-12));
    assertThat(frames.get(4).samples()).isEqualTo(whole.trajectory().get(7).samples());
  }

  /**
   * ComfyUI's denoise: int(steps/denoise) steps laid out, the last steps run. 4 steps at 0.5 are
   * steps [4, 8) of the 8-step schedule; 3 at 0.3 are [7, 10) of 10 (3/0.3 is 10.000000000000002);
   * 7 at 0.9 are all of a 7-step one (int(7.78) = 7), so no latents are needed there.
   */
  @Test
  void denoiseRunsTheTailOfALongerSchedule() {
    assertThat(job("euler", 4, Map.of(SamplerOption.DENOISE, 0.5)).span())
        .isEqualTo(new SamplingJob.Span(8, 4, 8));
    assertThat(job("euler", 3, Map.of(SamplerOption.DENOISE, 0.3)).span())
        .isEqualTo(new SamplingJob.Span(10, 7, 10));
    assertThat(job("euler", 7, Map.of(SamplerOption.DENOISE, 0.9)).span())
        .isEqualTo(new SamplingJob.Span(7, 0, 7));
    assertThat(job("euler", 7, Map.of()).span()).isEqualTo(new SamplingJob.Span(7, 0, 7));

    Model model = Engine.vpModel();
    float[] state = flat(Engine.run(model, job("dpmpp-2m", 8,
        Map.of(SamplerOption.END_STEP, 4)), manager).samples());
    SamplingResult denoised = Engine.run(model, job("dpmpp-2m", 4,
        Map.of(SamplerOption.DENOISE, 0.5)).withLatents(state), manager);
    SamplingResult started = Engine.run(model, job("dpmpp-2m", 8,
        Map.of(SamplerOption.START_STEP, 4)).withLatents(state), manager);
    assertThat(denoised.samples().toFloatArray()).isEqualTo(started.samples().toFloatArray());
    assertThat(denoised.nfe()).isEqualTo(5);
  }

  /** A multistep method starts a partial run without history, as a fresh run does. */
  @Test
  void multistepMethodsStartAfresh() {
    Model model = Engine.vpModel();
    SamplingJob base = SamplingJob.of("unipc", 12, 32, 7).withDataType(DataType.FLOAT64);
    SamplingResult whole = Engine.run(model, base, manager);
    SamplingResult head = Engine.run(model, base.withOptions(
        SamplerOptions.DEFAULT.with(SamplerOption.END_STEP, 6)), manager);
    SamplingResult tail = Engine.run(model, base.withOptions(
        SamplerOptions.DEFAULT.with(SamplerOption.START_STEP, 6))
        .withLatents(flat(head.samples())), manager);
    assertThat(tail.nfe()).isEqualTo(7);
    // Restarted at first order, the tail lands near the whole run, not on it.
    double gap = Engine.maxError(tail.samples(), whole.samples());
    assertThat(gap).isGreaterThan(1e-4).isLessThan(0.05);
  }

  /**
   * diffusers' linspace spacing of 10 steps ends on timestep 0 itself: 9 steps and the jump to
   * x0. Its parts are the steps it has: [0, 4) then [4, 10) are the whole run, NFE 4 + 6.
   */
  @Test
  void aTableSpacingThatEndsOnTimestepZeroSplitsToo() {
    Model model = new dev.streamline.sampler.analytic.GaussianMixtureModel(Engine.MIXTURE,
        NoiseProcessTest.table(TimeGrid.Kind.LINSPACE, 0), Parameterization.EPSILON);
    SamplingResult whole = Engine.run(model, job("ddim", 10, Map.of()), manager);
    SamplingResult head = Engine.run(model, job("ddim", 10, Map.of(SamplerOption.END_STEP, 4)),
        manager);
    SamplingResult tail = Engine.run(model, job("ddim", 10, Map.of(SamplerOption.START_STEP, 4))
        .withLatents(flat(head.samples())), manager);
    assertThat(whole.nfe()).isEqualTo(10);
    assertThat(head.nfe()).isEqualTo(4);
    assertThat(tail.nfe()).isEqualTo(6);
    assertThat(tail.samples().toFloatArray()).isEqualTo(whole.samples().toFloatArray());
  }
}
