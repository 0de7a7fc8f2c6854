package dev.streamline.models.store;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * The {@code model.json} of a model directory: what the model is, how to drive it, and how it was
 * made. Weights sit beside it in the file {@link Architecture#weights()} names.
 *
 * @param kind "flow" or "diffusion"
 * @param shape one sample's shape, e.g. [2] or [1, 28, 28]
 * @param normalization how model space maps to data space, or null when they are the same
 * @param classes class names of a conditional model; empty when unconditional
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelManifest(
    String id,
    String kind,
    ProcessSpec process,
    String parameterization,
    Architecture architecture,
    List<Integer> shape,
    Normalization normalization,
    List<String> classes,
    String defaultSampler,
    int defaultSteps,
    TrainingSummary training) {

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
    return new ModelManifest(id, kind, process, parameterization, architecture, shape,
        normalization, classes, defaultSampler, defaultSteps, value);
  }
}
