package dev.streamline.sampler;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * One sampling job.
 *
 * @param sampler a {@link SamplerCatalog} id or alias; the job holds the id, and the options an
 *     alias implies under its own
 * @param steps steps of a fixed-step sampler (adaptive solvers choose their own)
 * @param n number of samples
 * @param seed sample i draws all its noise from seed + i
 * @param guidance classifier-free guidance scale (1 = none); needs labels
 * @param labels one class per sample, or one for all, or null for an unconditional model
 * @param latents unit-variance starting noise, flat and row-major [n, ...shape], to use instead
 *     of the seeded draw, or null; it is scaled by sigma at the noise end like the seeded draw
 * @param options sampler knobs; null for defaults
 * @param recordTrajectory keep every step's state on the host
 * @param dataType arithmetic precision (FLOAT32 or FLOAT64)
 */
public record SamplingJob(
    String sampler,
    int steps,
    int n,
    long seed,
    double guidance,
    int[] labels,
    float[] latents,
    SamplerOptions options,
    boolean recordTrajectory,
    DataType dataType) {

  public SamplingJob {
    if (steps < 1) {
      throw new InvalidJobException("steps must be >= 1, got " + steps);
    }
    if (n < 1) {
      throw new InvalidJobException("n must be >= 1, got " + n);
    }
    if (!Double.isFinite(guidance)) {
      throw new InvalidJobException("guidance must be a finite number, got " + guidance);
    }
    if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT64) {
      throw new InvalidJobException("dataType must be FLOAT32 or FLOAT64, got " + dataType);
    }
    options = SamplerCatalog.named(sampler, options == null ? SamplerOptions.DEFAULT : options);
    sampler = SamplerCatalog.spec(sampler).id();
  }

  /** A float32 job with no guidance, labels, latents or trajectory. */
  public static SamplingJob of(String sampler, int steps, int n, long seed) {
    return new SamplingJob(sampler, steps, n, seed, 1.0, null, null, null, false,
        DataType.FLOAT32);
  }

  public SamplingJob withOptions(SamplerOptions value) {
    return new SamplingJob(sampler, steps, n, seed, guidance, labels, latents, value,
        recordTrajectory, dataType);
  }

  public SamplingJob withLatents(float[] value) {
    return new SamplingJob(sampler, steps, n, seed, guidance, labels, value, options,
        recordTrajectory, dataType);
  }

  public SamplingJob withLabels(int[] value, double scale) {
    return new SamplingJob(sampler, steps, n, seed, scale, value, latents, options,
        recordTrajectory, dataType);
  }

  public SamplingJob withDataType(DataType value) {
    return new SamplingJob(sampler, steps, n, seed, guidance, labels, latents, options,
        recordTrajectory, value);
  }

  public SamplingJob withTrajectory(boolean value) {
    return new SamplingJob(sampler, steps, n, seed, guidance, labels, latents, options,
        value, dataType);
  }

  /**
   * This job checked against the model it is for, with its labels one per sample and the
   * model's default options under its own: the one check of latents, labels, guidance and time
   * grid, which {@link SamplingLoop#sample} makes and a service makes
   * once at admission (then running the job with {@link SamplingLoop#sampleChecked}).
   *
   * @throws InvalidJobException with a message for the job's author
   */
  public SamplingJob forModel(Model model) {
    SamplerSpec spec = SamplerCatalog.spec(sampler);
    SamplerOptions merged = options.over(model.defaultOptions(), spec);
    if (merged != options) {
      return withOptions(merged).forModel(model);
    }
    if (!spec.adaptive()) {
      // Laid out once here so that a grid the model's process cannot hold (a table spacing on a
      // continuous process, a shift on a table) is refused before the run starts.
      options.grid().times(model.process(), steps);
    }
    Shape shape = new Shape(n).addAll(model.sampleShape());
    if (latents != null && latents.length != shape.size()) {
      throw new InvalidJobException("latents hold " + latents.length + " values, expected "
          + shape.size() + " for shape " + shape);
    }
    if (labels == null) {
      if (guidance != 1.0) {
        throw new InvalidJobException("guidance needs labels: it contrasts the labelled"
            + " prediction with the unconditional one");
      }
      return this;
    }
    if (model.classCount() == 0) {
      throw new InvalidJobException("the model is unconditional; it takes no labels");
    }
    if (labels.length != 1 && labels.length != n) {
      throw new InvalidJobException("labels must hold 1 or n=" + n
          + " entries, got " + labels.length);
    }
    for (int label : labels) {
      if (label != Model.NULL_LABEL && (label < 0 || label >= model.classCount())) {
        throw new InvalidJobException("label " + label + " is outside [0, "
            + model.classCount() + ")");
      }
    }
    int[] perSample = new int[n];
    Arrays.setAll(perSample, i -> labels[labels.length == n ? i : 0]);
    return withLabels(perSample, guidance);
  }

  /**
   * This job, checked as one to run backwards ({@link SamplingLoop#encode}): a deterministic
   * sampler that can be reversed, with no option that adds noise.
   *
   * @throws InvalidJobException with a message for the job's author
   */
  public SamplingJob forEncoding() {
    SamplerSpec spec = SamplerCatalog.spec(sampler);
    List<String> reversible = SamplerCatalog.encodingSamplers();
    if (spec.drawsNoise(options) || !reversible.contains(sampler)) {
      throw new InvalidJobException("sampler '" + sampler + "' "
          + (spec.drawsNoise(options) ? "draws noise" : "has no inverse here")
          + ", so no latent maps back to a sample through it; encode runs the deterministic"
          + " samplers " + reversible + " (ddim with eta 0)");
    }
    return this;
  }

  /**
   * This job, checked as one to integrate a likelihood ({@link SamplingLoop#likelihood}): a
   * Runge–Kutta sampler, and no x0 guard, which would change the ODE whose density it is.
   *
   * @throws InvalidJobException with a message for the job's author
   */
  public SamplingJob forLikelihood() {
    List<String> solvers = SamplerCatalog.likelihoodSamplers();
    if (!solvers.contains(sampler)) {
      SamplerSpec spec = SamplerCatalog.spec(sampler);
      throw new InvalidJobException("sampler '" + sampler + "' "
          + (spec.stochastic() ? "samples the reverse SDE, which has no density by the change of"
              + " variables" : "steps in (x0, eps), not along a general ODE")
          + "; likelihood integrates the probability-flow ODE with one of " + solvers);
    }
    if (options.x0Guard().kind() != X0Guard.Kind.NONE) {
      throw new InvalidJobException("clip and threshold change the ODE whose density a"
          + " likelihood is; leave them out");
    }
    return this;
  }
}
