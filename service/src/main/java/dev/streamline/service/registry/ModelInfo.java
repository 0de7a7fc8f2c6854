package dev.streamline.service.registry;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * What clients see of a served model ({@code GET /v1/models}).
 *
 * @param version the version its model.json declares, or null (and omitted)
 * @param versions every version of its id served now, oldest first ({@link VersionOrder});
 *     omitted for a model without versions
 * @param dataset the data set it was trained on, or null for closed-form models
 * @param target the exact target distribution of an analytic model, else null (and omitted)
 * @param conventions how the server drives the network: process and schedule, parameterization,
 *     time input, preconditioning, the scheduler read and the options it implies
 * @param latent a latent model's decoder, whose answers are the model's data; else null (and
 *     omitted)
 */
public record ModelInfo(
    String id,
    @JsonInclude(JsonInclude.Include.NON_NULL) String version,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> versions,
    String kind,
    String process,
    String parameterization,
    List<Integer> shape,
    List<String> classes,
    String defaultSampler,
    int defaultSteps,
    String dataset,
    @JsonInclude(JsonInclude.Include.NON_NULL) Target target,
    Map<String, Object> conventions,
    @JsonInclude(JsonInclude.Include.NON_NULL) Latent latent) {

  /** A Gaussian mixture: weights [K], means [K][d], covariances [K][d][d]. */
  public record Target(double[] weights, List<double[]> means, List<double[][]> covariances) {}

  /**
   * A latent model's decoder: the shape of one decoded sample, the latents' {@code scaling_factor}
   * and {@code shift_factor} as diffusers names them, and whether an encoder is there.
   */
  public record Latent(List<Integer> decodedShape,
      @JsonProperty("scaling_factor") double scalingFactor,
      @JsonProperty("shift_factor") double shiftFactor, boolean encoder) {}

  /** The same, listing the versions of its id served now. */
  public ModelInfo withVersions(List<String> served) {
    return new ModelInfo(id, version, served, kind, process, parameterization, shape, classes,
        defaultSampler, defaultSteps, dataset, target, conventions, latent);
  }

  /** Its id, and its version where it has one: how logs and health name it. */
  @JsonIgnore
  public String label() {
    return version == null ? id : id + " version " + version;
  }

  /** One sample's shape as data: decoded for a latent model, else the sample shape. */
  @JsonIgnore
  public List<Integer> dataShape() {
    return latent == null ? shape : latent.decodedShape();
  }

  /** Whether its data are images [C, H, W], which PNG answers show. */
  @JsonIgnore
  public boolean isImage() {
    return dataShape().size() == 3;
  }
}
