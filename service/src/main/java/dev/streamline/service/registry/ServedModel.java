package dev.streamline.service.registry;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.Model;
import dev.streamline.service.batching.Deadline;
import dev.streamline.service.batching.ForwardBatcher;
import dev.streamline.service.batching.Session;

/**
 * A loaded, warmed-up model and the batchers that run its passes: its network's, its network's
 * with Jacobian traces (for likelihoods), and a latent model's decoder's.
 *
 * @param tracer runs the network's {@link dev.streamline.service.batching.Network#trace} passes
 * @param decoder runs a latent model's decoder; null for a model whose samples are its data
 * @param secondsPerRow one row's share of a network pass, as the warm-up timed it: what the
 *     cost limit weighs a request's evaluations by
 */
public record ServedModel(ModelInfo info, Model model, ForwardBatcher batcher,
    ForwardBatcher tracer, ForwardBatcher decoder, AutoCloseable weights, double secondsPerRow)
    implements AutoCloseable {

  /** The same model, its cost per row measured. */
  ServedModel costing(double seconds) {
    return new ServedModel(info, model, batcher, tracer, decoder, weights, seconds);
  }

  /** The model for one sampling run, its evaluations batched; close it when the run ends. */
  public Session open(Deadline deadline, int requests) {
    return batcher.open(model, deadline, requests);
  }

  /** The model for one likelihood run, its Jacobian traces batched; close it when it ends. */
  public Session openForTraces(Deadline deadline, int requests) {
    return tracer.open(model, deadline, requests);
  }

  /**
   * A latent model's samples decoded, in passes shared with the other requests decoding then.
   *
   * @param latents [n, ...shape] flattened
   * @param requests how many requests the samples serve
   * @return the decoded samples [n, ...decoded shape] flattened
   */
  public float[] decode(float[] latents, int n, NDManager manager, Deadline deadline,
      int requests) {
    try (NDManager scope = manager.newSubManager()) {
      Shape shape = new Shape(n).addAll(model.sampleShape());
      return decoder.run(scope.create(latents, shape), scope.zeros(new Shape(n)), null,
          deadline, requests).toFloatArray();
    }
  }

  @Override
  public void close() throws Exception {
    batcher.close();
    tracer.close();
    if (decoder != null) {
      decoder.close();
    }
    if (weights != null) {
      weights.close();
    }
  }
}
