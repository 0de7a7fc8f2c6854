package dev.streamline.service.registry;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.Model;
import dev.streamline.service.batching.Deadline;
import dev.streamline.service.batching.ForwardBatcher;
import dev.streamline.service.batching.Session;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A loaded, warmed-up model and the batchers that run its passes: its network's, its network's
 * with Jacobian traces (for likelihoods), and a latent model's decoder's.
 *
 * <p>It is held: by the registry while it serves, and by each request from its look-up to its
 * end ({@link #hold}, {@link #release}). A model removed or replaced while serving is let go by
 * the registry, and its last request's release hands it to {@code unused}, which frees its
 * batchers and native memory; so a request keeps the files it started with, whatever happens to
 * them meanwhile.
 */
public final class ServedModel {

  private final ModelInfo info;
  private final Model model;
  private final ForwardBatcher batcher;
  private final ForwardBatcher tracer;
  private final ForwardBatcher decoder;
  private final AutoCloseable weights;
  private final Consumer<ServedModel> unused;
  /**
   * One row's share of a network pass, as the warm-up timed it: what the cost limit weighs a
   * request's evaluations by.
   */
  private volatile double secondsPerRow;
  /** The registry's hold and one per request; at 0 it takes no more. */
  private final AtomicInteger holds = new AtomicInteger(1);
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * @param tracer runs the network's {@link dev.streamline.service.batching.Network#trace} passes
   * @param decoder runs a latent model's decoder; null for a model whose samples are its data
   * @param weights freed last; null for a closed-form model
   * @param unused given the model when its last hold is released
   */
  ServedModel(ModelInfo info, Model model, ForwardBatcher batcher, ForwardBatcher tracer,
      ForwardBatcher decoder, AutoCloseable weights, Consumer<ServedModel> unused) {
    this.info = info;
    this.model = model;
    this.batcher = batcher;
    this.tracer = tracer;
    this.decoder = decoder;
    this.weights = weights;
    this.unused = unused;
  }

  public ModelInfo info() {
    return info;
  }

  public Model model() {
    return model;
  }

  public ForwardBatcher batcher() {
    return batcher;
  }

  public double secondsPerRow() {
    return secondsPerRow;
  }

  /** Its cost per row, timed before it serves. */
  void costing(double seconds) {
    secondsPerRow = seconds;
  }

  /** A latent model's decoder's batcher, or null. */
  public ForwardBatcher decoder() {
    return decoder;
  }

  /** Its batchers: network, traces, and a latent model's decoder. */
  List<ForwardBatcher> batchers() {
    List<ForwardBatcher> all = new ArrayList<>(List.of(batcher, tracer));
    if (decoder != null) {
      all.add(decoder);
    }
    return all;
  }

  /**
   * One more hold, for a request that is to run on it; false once it has been let go of by all,
   * its batchers closing or closed.
   */
  public boolean hold() {
    int n;
    do {
      n = holds.get();
      if (n == 0) {
        return false;
      }
    } while (!holds.compareAndSet(n, n + 1));
    return true;
  }

  /** Ends a hold; the last one hands the model to be freed. */
  public void release() {
    int left = holds.decrementAndGet();
    if (left < 0) {
      throw new IllegalStateException("model " + info.id() + " released more than it was held");
    }
    if (left == 0) {
      unused.accept(this);
    }
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

  /**
   * Frees the batchers (after their passes in progress) and the weights, held or not: for a
   * model let go of by all, or for every model when the service stops. Once only.
   */
  void close() throws Exception {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (ForwardBatcher b : batchers()) {
      b.close();
    }
    if (weights != null) {
      weights.close();
    }
  }
}
