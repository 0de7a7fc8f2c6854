package dev.streamline.models.store;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.streamline.sampler.NetworkConvention.TimeInput;
import java.util.List;
import java.util.Map;

/**
 * The {@code model.json} of a model directory: what the model is, how to drive it, and how it was
 * made. Weights sit beside it in the file {@link Architecture#weights()} names.
 *
 * <p>A model trained elsewhere names a diffusers {@code scheduler_config.json} in {@code
 * scheduler}; kind, process, parameterization, time input, default sampler and steps then come
 * from it, and the fields given here override it ({@link Conventions}).
 *
 * @param version which version of the model this directory holds, or null: directories of one id
 *     and different versions are served side by side, the newest answering for the id
 * @param kind "flow" or "diffusion"
 * @param shape one sample's shape, e.g. [2] or [1, 28, 28]
 * @param normalization how model space maps to data space, or null when they are the same
 * @param classes class names of a conditional model; empty (the default) when unconditional
 * @param scheduler file name of a diffusers scheduler config beside model.json, or null
 * @param timeInput the time number the network takes, or null for the process's own t
 * @param nullLabel the network's label for "unconditional"; null for len(classes)
 * @param mu the shift exponent of a flow scheduler with dynamic shifting, or null
 * @param decoder file name of a latent model's TorchScript decoder (latents to data), or null
 * @param encoder file name of its TorchScript encoder (data to latents), or null
 * @param scalingFactor diffusers' {@code scaling_factor} of the decoder's latents, required with
 *     a decoder: decoded = decoder(latents / scaling_factor + shift_factor)
 * @param shiftFactor diffusers' {@code shift_factor}; null for 0
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelManifest(
    String id,
    String version,
    String kind,
    ProcessSpec process,
    String parameterization,
    Architecture architecture,
    List<Integer> shape,
    Normalization normalization,
    List<String> classes,
    String defaultSampler,
    Integer defaultSteps,
    TrainingSummary training,
    String scheduler,
    TimeInputSpec timeInput,
    Integer nullLabel,
    Double mu,
    String decoder,
    String encoder,
    @JsonProperty("scaling_factor") Double scalingFactor,
    @JsonProperty("shift_factor") Double shiftFactor) {

  public ModelManifest {
    classes = classes == null ? List.of() : classes;
  }

  /**
   * A manifest of Streamline's own, unversioned, with no scheduler and the process's own time
   * input.
   */
  public ModelManifest(String id, String kind, ProcessSpec process, String parameterization,
      Architecture architecture, List<Integer> shape, Normalization normalization,
      List<String> classes, String defaultSampler, Integer defaultSteps,
      TrainingSummary training) {
    this(id, null, kind, process, parameterization, architecture, shape, normalization, classes,
        defaultSampler, defaultSteps, training, null, null, null, null, null, null, null, null);
  }

  /**
   * The network's time input: a variable ({@code t}, {@code sigma}, {@code c-noise},
   * {@code log-snr}) and a scale (default 1), written as the variable alone or as
   * {@code {"type": "sigma", "scale": 1000}}.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record TimeInputSpec(String type, Double scale) {

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static TimeInputSpec of(String type) {
      return new TimeInputSpec(type, null);
    }

    @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
    public TimeInputSpec {}

    /** @throws IllegalArgumentException for an unknown variable or a bad scale */
    public TimeInput toTimeInput() {
      if (type == null) {
        throw new IllegalArgumentException("timeInput.type is missing");
      }
      return new TimeInput(TimeInput.Variable.fromId(type), scale == null ? 1 : scale);
    }
  }

  /**
   * @param type "mlp" (our DJL network) or "torchscript"
   * @param weights file name of the weights in the model directory
   * @param params the architecture's hyper-parameters
   */
  public record Architecture(String type, String weights, Map<String, Integer> params) {}

  /** Data = model value · std + mean, per channel (or per coordinate for points). */
  public record Normalization(List<Double> mean, List<Double> std) {}

  /**
   * How the weights were trained, with the quality measured afterwards.
   *
   * @param wallTimeSeconds training wall time on {@code machine}
   * @param evaluation quality measured by {@code evaluate --record}, or null
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record TrainingSummary(
      String dataset,
      String objective,
      int steps,
      int batchSize,
      long seed,
      double finalLoss,
      double wallTimeSeconds,
      String machine,
      String command,
      Evaluation evaluation) {

    public TrainingSummary withEvaluation(Evaluation value) {
      return new TrainingSummary(dataset, objective, steps, batchSize, seed, finalLoss,
          wallTimeSeconds, machine, command, value);
    }
  }

  /**
   * Quality of samples drawn with one sampler and step count, each metric next to its floor (the
   * same statistic between two independent data samples of the same size).
   */
  public record Evaluation(String sampler, int steps, int nfe, int samples, long seed,
      Map<String, Double> metrics) {}

  public ModelManifest withTraining(TrainingSummary value) {
    return new ModelManifest(id, version, kind, process, parameterization, architecture, shape,
        normalization, classes, defaultSampler, defaultSteps, value, scheduler, timeInput,
        nullLabel, mu, decoder, encoder, scalingFactor, shiftFactor);
  }
}
