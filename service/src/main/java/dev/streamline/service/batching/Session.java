package dev.streamline.service.batching;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.JacobianTrace;
import dev.streamline.sampler.Model;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.Parameterization;

/**
 * One sampling run's view of a served model: the sampler loop calls it like the model itself,
 * and its evaluations go through the model's {@link ForwardBatcher}s under the run's
 * {@link Deadline}: predictions through the forward one, Jacobian traces through the trace one.
 */
public final class Session implements Model, AutoCloseable {

  private final ForwardBatcher batcher;
  private final ForwardBatcher tracer;
  private final Model model;
  private final Deadline deadline;
  private final int requests;
  private boolean closed;

  /**
   * @param batcher where the run is open, and the one that runs its passes of its stage
   * @param tracer the model's {@link Network.Stage#TRACE} batcher when the run is open there
   *     (a likelihood run), else null
   */
  Session(ForwardBatcher batcher, ForwardBatcher tracer, Model model, Deadline deadline,
      int requests) {
    this.batcher = batcher;
    this.tracer = tracer;
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
    if (tracer != null) {
      throw new IllegalStateException("this session was opened for Jacobian traces");
    }
    return batcher.evaluate(x, t, labels, deadline);
  }

  /**
   * Each row repeated once per probe and paired with it, in passes of the trace batcher shared
   * with the other likelihood requests of the model.
   */
  @Override
  public JacobianTrace.Traced traced(NDArray x, NDArray t, int[] labels, NDArray probes) {
    if (tracer == null) {
      throw new IllegalStateException("this session was not opened for Jacobian traces");
    }
    return JacobianTrace.of((xs, ts, ls, zs) -> {
      long rows = xs.getShape().get(0);
      Shape shape = xs.getShape().slice(1);
      NDArray pairs = NDArrays.stack(new NDList(xs, zs), 1);
      NDArray out = tracer.evaluate(pairs, ts, ls, deadline);
      long size = shape.size();
      return new JacobianTrace.Traced(
          out.get(":, :" + size).reshape(new Shape(rows).addAll(shape)),
          out.get(":, " + size));
    }, x, t, labels, probes);
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      batcher.leave(requests);
    }
  }
}
