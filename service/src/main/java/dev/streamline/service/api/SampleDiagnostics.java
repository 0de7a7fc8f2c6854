package dev.streamline.service.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.streamline.sampler.Diagnostics;
import java.util.List;

/**
 * One sample's diagnostics in a JSON answer; the adaptive solvers' figures are omitted for
 * fixed-step samplers, {@code stiffness} for tableaux without two stages at one node (all but
 * dopri5), {@code sensitivity} unless asked for.
 *
 * @param nfe evaluations that carried the sample
 * @param maxError largest scaled error norm of an accepted step (a step is accepted at ≤ 1)
 * @param stiffness largest h·|λ| estimate of an accepted step (Hairer's DOPRI5 test; about 3.3
 *     where stability rather than accuracy limits the step)
 * @param guardActed evaluations at which clip or threshold changed the x0 estimate
 * @param pathLength Σ‖x_{k+1} − x_k‖ over the accepted states
 * @param straightness ‖x_end − x_start‖ / pathLength (1 for a straight path)
 * @param sensitivity ‖Δx_end‖/‖Δx_start‖ of the sample's perturbed twin
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SampleDiagnostics(int nfe, Integer acceptedSteps, Integer rejectedSteps,
    Double minStep, Double maxStep, Double maxError, Double stiffness, int guardActed,
    double pathLength, double straightness, Double sensitivity) {

  /** Null (omitted) for an answer that did not ask. */
  static List<SampleDiagnostics> of(List<Diagnostics.Sample> samples) {
    if (samples.isEmpty()) {
      return null;
    }
    return samples.stream().map(s -> new SampleDiagnostics(s.nfe(), s.acceptedSteps(),
        s.rejectedSteps(), s.minStep(), s.maxStep(), s.maxError(), s.stiffness(), s.guardActed(),
        s.pathLength(), s.straightness(), s.sensitivity())).toList();
  }
}
