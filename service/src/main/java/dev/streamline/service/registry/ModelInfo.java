package dev.streamline.service.registry;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * What clients see of a served model ({@code GET /v1/models}).
 *
 * @param dataset the data set it was trained on, or null for closed-form models
 * @param target the exact target distribution of an analytic model, else null (and omitted)
 * @param conventions how the server drives the network: process and schedule, parameterization,
 *     time input, preconditioning, the scheduler read and the options it implies
 */
public record ModelInfo(
    String id,
    String kind,
    String process,
    String parameterization,
    List<Integer> shape,
    List<String> classes,
    String defaultSampler,
    int defaultSteps,
    String dataset,
    @JsonInclude(JsonInclude.Include.NON_NULL) Target target,
    Map<String, Object> conventions) {

  /** A Gaussian mixture: weights [K], means [K][d], covariances [K][d][d]. */
  public record Target(double[] weights, List<double[]> means, List<double[][]> covariances) {}

  @JsonIgnore
  public boolean isImage() {
    return shape.size() == 3;
  }
}
