package dev.streamline.sampler;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a sampler is, for clients choosing one: the README's sampler table and the service's
 * {@code GET /v1/samplers} are made from these.
 *
 * @param family "ode" for deterministic solvers of the probability-flow ODE, "sde" for samplers
 *     of the reverse SDE or its discretizations
 * @param order convergence order of the deterministic part
 * @param evalsPerStep network evaluations per step (adaptive solvers: per attempted step)
 * @param options the {@link SamplerOption}s it reads, by id, as their declarations say
 * @param choices for each choice-valued option it reads, the values it takes
 * @param invertible whether it also runs backwards, data to noise, for {@code encode}
 * @param likelihood whether it integrates a likelihood's augmented ODE: a general ODE solver,
 *     which steps along any field rather than in (x0, ε)
 * @param aliases other names that requests may use for it, k-diffusion's and ComfyUI's
 */
public record SamplerSpec(
    String id,
    String family,
    int order,
    int evalsPerStep,
    boolean stochastic,
    boolean adaptive,
    List<String> options,
    Map<String, List<String>> choices,
    boolean invertible,
    boolean likelihood,
    String description,
    List<String> aliases) {

  public SamplerSpec {
    options = List.copyOf(options);
    choices = Collections.unmodifiableMap(new LinkedHashMap<>(choices));
    aliases = List.copyOf(aliases);
  }

  public SamplerSpec(String id, String family, int order, int evalsPerStep, boolean stochastic,
      boolean adaptive, boolean invertible, boolean likelihood, String description) {
    this(id, family, order, evalsPerStep, stochastic, adaptive,
        SamplerOption.readBy(id, adaptive), SamplerOption.choicesOf(id, adaptive), invertible,
        likelihood, description, List.of());
  }

  /** This spec, answering to one more name. */
  SamplerSpec withAlias(String alias) {
    List<String> more = new ArrayList<>(aliases);
    more.add(alias);
    return new SamplerSpec(id, family, order, evalsPerStep, stochastic, adaptive, options,
        choices, invertible, likelihood, description, more);
  }

  /** Whether this sampler takes the value: any of its type, or one of its choices for it. */
  public boolean takes(SamplerOption option, Object value) {
    List<String> values = choices.get(option.id());
    return values == null || values.contains(value);
  }

  /**
   * @throws InvalidJobException when a choice given is not one this sampler takes (options it
   *     does not read are {@link #checkReads}'s to refuse)
   */
  public void checkChoices(SamplerOptions given) {
    for (SamplerOption option : given.given()) {
      Object value = given.value(option);
      if (!takes(option, value)) {
        throw new InvalidJobException("sampler '" + id + "' takes " + option.id() + " "
            + choices.get(option.id()) + ", got '" + value + "'");
      }
    }
  }

  /**
   * Whether a run with these options draws noise after its start: a stochastic sampler always,
   * a deterministic one when an option that adds noise (eta, churn) is above 0.
   */
  public boolean drawsNoise(SamplerOptions given) {
    return stochastic || given.given().stream()
        .anyMatch(o -> o.drawsNoise() && given.number(o, 0) > 0);
  }

  /**
   * The network evaluations a run is reckoned to make per sample: steps × evalsPerStep, or an
   * adaptive solver's {@code maxNfe} when the run sets one, which bounds it whatever the steps
   * (the default budget is a worst case a run rarely meets, so without one the steps say).
   */
  public long evaluationBound(int steps, SamplerOptions given) {
    return adaptive && given.given().contains(SamplerOption.MAX_NFE)
        ? given.integer(SamplerOption.MAX_NFE, 1) : (long) steps * evalsPerStep;
  }

  /** @throws InvalidJobException when one of the options given is not one this sampler reads */
  public void checkReads(Set<SamplerOption> given) {
    List<String> unread = given.stream().map(SamplerOption::id)
        .filter(id -> !options.contains(id)).toList();
    if (!unread.isEmpty()) {
      throw new InvalidJobException("sampler '" + id + "' does not read " + unread
          + "; it reads " + options);
    }
  }
}
