package dev.streamline.service.batching;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.Model;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.Parameterization;

/**
 * One sampling run's view of a served model: the sampler loop calls it like the model itself,
 * and its evaluations go through the model's {@link ForwardBatcher} under the run's
 * {@link Deadline}.
 */
public final class Session implements Model, AutoCloseable {

  private final ForwardBatcher batcher;
  private final Model model;
  private final Deadline deadline;
  private final int requests;
  private boolean closed;

  Session(ForwardBatcher batcher, Model model, Deadline deadline, int requests) {
    this.batcher = batcher;
    this.model = model;
    this.deadline = deadline;
    this.requests = requests;
  }

  @Override public Parameterization parameterization() { return model.parameterization(); }
  @Override public NoiseProcess process() { return model.process(); }
  @Override public Shape sampleShape() { return model.sampleShape(); }
  @Override public int classCount() { return model.classCount(); }

  @Override
  public NDArray predict(NDArray x, NDArray t, int[] labels) {
    return batcher.evaluate(x, t, labels, deadline);
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      batcher.leave(requests);
    }
  }
}
