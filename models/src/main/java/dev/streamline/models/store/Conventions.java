package dev.streamline.models.store;

import dev.streamline.sampler.NetworkConvention;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.SamplerOption;
import dev.streamline.sampler.SamplerOptions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a model directory's network is driven, resolved from its {@code model.json} and, for a
 * model trained elsewhere, the diffusers scheduler config beside it: what
 * {@code /v1/models/{id}} and {@code models-cli import} show as what the server understood.
 *
 * @param kind "flow" or "diffusion"
 * @param schedule the process's parameters as the source states them, for display
 * @param defaults options jobs get where they set none (a scheduler's spacing, shift, clip)
 * @param scheduler the diffusers scheduler class read, or null for Streamline's own fields
 */
public record Conventions(
    String kind,
    NoiseProcess process,
    Map<String, Object> schedule,
    NetworkConvention network,
    String defaultSampler,
    int defaultSteps,
    SamplerOptions defaults,
    String scheduler) {

  public Conventions {
    schedule = Map.copyOf(schedule);
  }

  /** These conventions with the fields a model.json states in place of the resolved ones. */
  Conventions overriddenBy(String kindGiven, NoiseProcess processGiven,
      Map<String, Object> scheduleGiven, NetworkConvention networkGiven, String samplerGiven,
      Integer stepsGiven) {
    return new Conventions(
        kindGiven != null ? kindGiven : kind,
        processGiven != null ? processGiven : process,
        processGiven != null ? scheduleGiven : schedule,
        networkGiven != null ? networkGiven : network,
        samplerGiven != null ? samplerGiven : defaultSampler,
        stepsGiven != null ? stepsGiven : defaultSteps,
        defaults,
        scheduler);
  }

  /** The resolved conventions as JSON-ready values, in a stable order. */
  public Map<String, Object> describe() {
    Map<String, Object> out = new LinkedHashMap<>();
    if (scheduler != null) {
      out.put("scheduler", scheduler);
    }
    out.put("process", process.id());
    out.put("schedule", new java.util.TreeMap<>(schedule));
    out.put("parameterization", network.parameterization().id());
    Map<String, Object> time = new LinkedHashMap<>();
    time.put("type", network.timeInput().variable().id());
    time.put("scale", network.timeInput().scale());
    out.put("timeInput", time);
    if (network.sigmaData() > 0 || network.outputSign() != 1) {
      Map<String, Object> pre = new LinkedHashMap<>();
      if (network.sigmaData() > 0) {
        pre.put("sigmaData", network.sigmaData());
      }
      pre.put("outputSign", network.outputSign());
      out.put("preconditioning", pre);
    }
    Map<String, Object> options = new LinkedHashMap<>();
    for (SamplerOption option : defaults.given()) {
      Object value = defaults.value(option);
      options.put(option.id(), value instanceof SamplerOption.Named named ? named.id() : value);
    }
    out.put("defaultOptions", options);
    return out;
  }
}
