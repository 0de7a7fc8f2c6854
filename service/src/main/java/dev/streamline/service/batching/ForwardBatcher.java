package dev.streamline.service.batching;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.Model;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs every pass of one of a model's {@link Network}s (its prediction, or a latent model's
 * decoder), for all the requests sampling from it.
 *
 * <p>Each request's sampler loop evaluates the model through its own {@link Session}, which hands
 * the evaluation (host copies of x, t and labels) to this batcher's {@link PassQueue} and waits.
 * A worker thread takes what the {@link DispatchPolicy} says to run together, runs it as one
 * {@link ForwardPass} and gives every caller its rows. Because networks take one time per row,
 * evaluations from different requests, samplers, step counts and adaptive step sizes share a
 * pass; requests join and leave between steps. With several workers, one pass runs while the
 * requests of the last one do their sampler arithmetic, which keeps every core busy on a CPU.
 * A decoder's rows are batched the same way: each request's final latents wait for a pass that
 * the others finishing at about that time share.
 */
public final class ForwardBatcher implements AutoCloseable {

  private final Network network;
  private final boolean enabled;
  private final int maxRows;
  private final PassQueue queue;
  private final ForwardPass pass;
  private final List<Thread> workers = new ArrayList<>();

  /**
   * @param enabled false runs each evaluation on its caller's thread, alone
   * @param workers forward passes that may run at once
   */
  public ForwardBatcher(String modelId, Network network, Device device, boolean enabled,
      int maxRows, Duration maxDelay, int workers, MeterRegistry meters) {
    this.network = network;
    this.enabled = enabled;
    this.maxRows = maxRows;
    this.queue = new PassQueue(new DispatchPolicy(maxRows, maxDelay.toNanos()));
    this.pass = new ForwardPass(network, maxRows,
        BatcherMetrics.register(network.stage(), modelId, meters));
    for (int i = 0; enabled && i < workers; i++) {
      Thread worker = new Thread(() -> work(device),
          network.stage().id + "-" + modelId + "-" + (i + 1));
      worker.setDaemon(true);
      worker.start();
      this.workers.add(worker);
    }
  }

  public Network network() {
    return network;
  }

  /**
   * Runs the {@link WidthCalibration}; where this machine's kernels fail it, every pass is padded
   * to maxRows from then on: one shape for all passes keeps results independent of batching, at
   * the price of speed.
   *
   * @return whether {@link ForwardPass#MIN_ROWS} held; false: passes are now padded to maxRows
   */
  public boolean calibrate(NDManager manager) {
    // Unbatched, each request keeps its own pass.
    if (!enabled || WidthCalibration.narrowPassesMatch(this, maxRows, manager)) {
      return true;
    }
    pass.padToMaxRows();
    return false;
  }

  /**
   * A view of the model, whose {@link Network#of} (or {@link Network#trace}) this batcher runs,
   * for one sampling run; close it when the run ends.
   *
   * @param requests how many requests the run serves (several when they were merged)
   */
  public Session open(Model model, Deadline deadline, int requests) {
    queue.open(requests);
    return new Session(this, network.stage() == Network.Stage.TRACE ? this : null, model,
        deadline, requests);
  }

  /**
   * One evaluation of x [B, ...input], in a pass shared with what others submit meanwhile.
   *
   * @param t one time per row
   * @param labels one label per row of a conditional network, else null
   * @param requests how many requests the rows serve
   * @return [B, ...output] on x's manager, in x's type
   */
  public NDArray run(NDArray x, NDArray t, int[] labels, Deadline deadline, int requests) {
    queue.open(requests);
    try {
      return evaluate(x, t, labels, deadline);
    } finally {
      queue.leave(requests);
    }
  }

  void leave(int requests) {
    queue.leave(requests);
  }

  /** The requests that the open sessions (sampling runs) on this model serve. */
  public int requests() {
    return queue.requests();
  }

  NDArray evaluate(NDArray x, NDArray t, int[] labels, Deadline deadline) {
    deadline.check();
    if (!enabled) {
      return pass.alone(x, t, labels);
    }
    Evaluation evaluation = new Evaluation(x.toType(DataType.FLOAT32, false).toFloatArray(),
        t.toType(DataType.FLOAT32, false).toFloatArray(), labels);
    queue.submit(evaluation);
    deadline.watch(evaluation.result);
    float[] out = evaluation.await(deadline);
    return x.getManager().create(out, new Shape(x.getShape().get(0)).addAll(network.output()))
        .toType(x.getDataType(), false);
  }

  private void work(Device device) {
    try (NDManager base = NDManager.newBaseManager(device)) {
      List<Evaluation> batch;
      while ((batch = queue.next()) != null) {
        try {
          if (!batch.isEmpty()) {
            pass.run(batch, base);
          }
        } finally {
          queue.done(batch);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    queue.close();
    for (Thread worker : workers) {
      try {
        worker.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
