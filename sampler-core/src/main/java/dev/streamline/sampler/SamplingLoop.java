package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a {@link SamplingRequest} against a {@link Model}: validates it, draws (or takes) the
 * starting noise, runs the sampler, and, for processes whose data end still carries noise
 * (sigma > 0 there: VP, VE, EDM), finishes with a jump to the clean estimate, which is the
 * Euler step to sigma = 0 of k-diffusion and Karras et al.
 */
public final class Sampling {

  private Sampling() {}

  public static SamplingResult sample(Model model, SamplingRequest request, NDManager manager) {
    int[] labels = labels(model, request);
    Shape shape = model.sampleShape();
    NoiseProcess process = model.process();
    Sampler sampler = Samplers.sampler(request.sampler());
    try (NDManager run = manager.newSubManager()) {
      SeededNoise noise = new SeededNoise(request.seed(), request.n(), shape);
      NDArray x = start(request, shape, noise, run).mul(process.sigma(process.noiseTime()));
      Denoiser denoiser =
          new Denoiser(model, labels, request.guidance(), request.options().x0Guard());
      List<StepObserver> observers = new ArrayList<>();
      Trajectory trajectory = null;
      if (request.recordTrajectory()) {
        trajectory = new Trajectory(request.n(), process.noiseTime());
        trajectory.start(x);
        observers.add(trajectory);
      }
      SamplingContext context = new SamplingContext(request.sampler(), denoiser, request.steps(),
          request.options(), noise, run, observers);
      x = sampler.sample(context, x);
      double end = process.dataTime();
      if (process.sigma(end) > 0) {
        try (StepScope scope = context.scope(x)) {
          x = scope.finish(denoiser.estimate(x, end).x0(), context.lastStep() + 1, end);
        }
      }
      x.attach(manager);
      return new SamplingResult(x, denoiser.evaluations(),
          trajectory == null ? List.of() : trajectory.frames());
    }
  }

  private static NDArray start(SamplingRequest request, Shape shape, SeededNoise noise,
      NDManager run) {
    NDArray latents = request.latents();
    if (latents == null) {
      return noise.next(run, request.dataType());
    }
    Shape expected = new Shape(request.n()).addAll(shape);
    if (!latents.getShape().equals(expected)) {
      throw new IllegalArgumentException(
          "latents have shape " + latents.getShape() + ", expected " + expected);
    }
    NDArray copy = latents.toType(request.dataType(), true);
    copy.attach(run);
    return copy;
  }

  /**
   * A request's labels as one per sample, or null for none, validated against the model's
   * classes and the guidance.
   *
   * @throws IllegalArgumentException with a message for the request's author
   */
  public static int[] labels(Model model, SamplingRequest request) {
    int[] given = request.labels();
    if (given == null) {
      if (request.guidance() != 1.0) {
        throw new IllegalArgumentException("guidance needs labels: it contrasts the labelled"
            + " prediction with the unconditional one");
      }
      return null;
    }
    if (model.classCount() == 0) {
      throw new IllegalArgumentException("the model is unconditional; it takes no labels");
    }
    if (given.length != 1 && given.length != request.n()) {
      throw new IllegalArgumentException("labels must hold 1 or n=" + request.n()
          + " entries, got " + given.length);
    }
    for (int label : given) {
      if (label != Model.NULL_LABEL && (label < 0 || label >= model.classCount())) {
        throw new IllegalArgumentException("label " + label + " is outside [0, "
            + model.classCount() + ")");
      }
    }
    if (given.length == request.n()) {
      return given.clone();
    }
    int[] out = new int[request.n()];
    Arrays.fill(out, given[0]);
    return out;
  }
}
