package dev.streamline.sampler;

import static dev.streamline.sampler.SamplerOption.RESTARTS;
import static dev.streamline.sampler.SamplerOption.RESTART_MAX;
import static dev.streamline.sampler.SamplerOption.RESTART_MIN;
import static dev.streamline.sampler.SamplerOption.RESTART_STEPS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Restart sampling is edm-heun plus its restarts: without them the same answer, bit for bit, and
 * with them exactly the evaluations the restarts' Heun steps cost. (Its samples' law is in
 * {@link DistributionTest}.)
 */
class RestartTest extends ManagedTest {

  @Test
  void withoutRestartsItIsEdmHeun() {
    SamplerOptions none = SamplerOptions.DEFAULT.with(RESTARTS, 0);
    for (Model model : new Model[] {Engine.flowModel(), Engine.vpModel()}) {
      SamplingResult restart = Engine.run(model,
          Engine.exact("restart", 16).withOptions(none), manager);
      SamplingResult heun = Engine.run(model, Engine.exact("edm-heun", 16), manager);
      assertThat(Engine.maxError(restart.samples(), heun.samples())).isZero();
      assertThat(restart.nfe()).isEqualTo(heun.nfe());
    }
  }

  /**
   * On the flow the first step (from pure noise) and the last (to sigma = 0) are Euler steps, so
   * 16 steps cost 30 evaluations; on the VP model all 32, and one for the final jump to x0. Each
   * restart adds its re-solve's Heun steps at two each, and its noising none.
   */
  @Test
  void countsEveryEvaluationOfItsRestarts() {
    SamplerOptions options = SamplerOptions.DEFAULT.with(RESTARTS, 3).with(RESTART_STEPS, 4)
        .with(RESTART_MIN, 0.1).with(RESTART_MAX, 1.0);
    assertThat(Engine.run(Engine.flowModel(), Engine.exact("restart", 16).withOptions(options),
        manager).nfe()).isEqualTo(30 + 3 * 4 * 2);
    assertThat(Engine.run(Engine.vpModel(), Engine.exact("restart", 16).withOptions(options),
        manager).nfe()).isEqualTo(33 + 3 * 4 * 2);
  }

  @Test
  void refusesAnIntervalTheGridCannotHold() {
    SamplingJob job = SamplingJob.of("restart", 4, 2, 1);
    assertThatThrownBy(() -> Engine.run(Engine.flowModel(),
        job.withOptions(SamplerOptions.DEFAULT.with(RESTART_MIN, 0.5).with(RESTART_MAX, 0.5)),
        manager))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("restartMax must be above restartMin, got restartMax=0.5 and restartMin=0.5");
    assertThatThrownBy(() -> Engine.run(Engine.vpModel(),
        job.withOptions(SamplerOptions.DEFAULT.with(RESTART_MAX, 500.0)), manager))
        .isInstanceOf(InvalidJobException.class)
        .hasMessageStartingWith("restartMax=500.0 is above the process's noise end, sigma/alpha=");
    // Four uniform steps on the flow put sigma/alpha at inf, 3, 1, 1/3 and 0: nearest 0.25 is
    // 1/3, above a restartMax of 0.3.
    assertThatThrownBy(() -> Engine.run(Engine.flowModel(),
        job.withOptions(SamplerOptions.DEFAULT.with(RESTART_MIN, 0.25)), manager))
        .isInstanceOf(InvalidJobException.class)
        .hasMessage("the grid's level nearest restartMin=0.25 is sigma/alpha=0.333333, not below"
            + " restartMax=0.3; add steps or raise restartMax");
  }
}
