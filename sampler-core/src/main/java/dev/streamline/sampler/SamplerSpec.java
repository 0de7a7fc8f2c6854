package dev.streamline.sampler;

import java.util.List;

/**
 * What a sampler is, for clients choosing one: the README's sampler table and the service's
 * {@code GET /v1/samplers} are made from these.
 *
 * @param family "ode" for deterministic solvers of the probability-flow ODE, "sde" for samplers
 *     of the reverse SDE or its discretizations
 * @param order convergence order of the deterministic part
 * @param evalsPerStep network evaluations per step (adaptive solvers: per attempted step)
 * @param options the {@link SamplerOptions} fields it reads
 */
public record SamplerSpec(
    String id,
    String family,
    int order,
    int evalsPerStep,
    boolean stochastic,
    boolean adaptive,
    List<String> options,
    String description) {

  public SamplerSpec {
    options = List.copyOf(options);
  }
}
