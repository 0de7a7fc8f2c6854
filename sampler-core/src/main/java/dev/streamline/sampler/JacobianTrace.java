package dev.streamline.sampler;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The trace of a model's Jacobian ∂prediction/∂x, by autograd: for probe vectors z, one
 * vector-Jacobian product zᵀ·J per probe, then zᵀ·J·z. With the unit vectors as probes the sum is
 * the exact trace; with Rademacher vectors scaled by 1/√P it is Hutchinson's estimator.
 *
 * <p>The engine keeps one gradient collector per process (DJL refuses a second one open at once),
 * so every gradient pass in the process runs under one lock: concurrent callers queue here, and a
 * service batches its callers' rows into one pass beforehand so that they queue rarely.
 */
public final class JacobianTrace {

  private static final ReentrantLock COLLECTOR = new ReentrantLock();
  /** Set while this thread runs a forward whose graph a backward pass will walk. */
  private static final ThreadLocal<Boolean> RECORDING = ThreadLocal.withInitial(() -> false);

  private JacobianTrace() {}

  /**
   * Whether a forward on this thread is being recorded for a backward pass: a network that runs
   * without autograd by default (TorchScript's inference mode) must record it then.
   */
  public static boolean recording() {
    return RECORDING.get();
  }

  /** A prediction [B, ...] and its traces [B]. */
  public record Traced(NDArray prediction, NDArray trace) {}

  /** What {@link #rowwise} computes, for one probe per row: done here, or by a batcher. */
  @FunctionalInterface
  public interface Rowwise {
    Traced apply(NDArray x, NDArray t, int[] labels, NDArray probes);
  }

  /** A network whose forward gives no gradient with respect to its input. */
  public static final class NoGradientException extends RuntimeException {
    NoGradientException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Row by row: the prediction at each row of x and zᵀ·J·z for the row's own probe z; rows must
   * be independent in the model, as in every batched network.
   *
   * @param probes one probe per row, shaped like x
   * @return in x's manager, detached from the graph
   */
  public static Traced rowwise(Model model, NDArray x, NDArray t, int[] labels, NDArray probes) {
    NDManager home = x.getManager();
    COLLECTOR.lock();
    try (NDManager scope = home.newSubManager();
        GradientCollector collector = ai.djl.engine.Engine.getInstance()
            .newGradientCollector()) {
      NDArray input = x.duplicate();
      input.attach(scope);
      input.setRequiresGradient(true);
      NDArray prediction;
      RECORDING.set(true);
      try {
        prediction = model.predict(input, t, labels);
      } finally {
        RECORDING.set(false);
      }
      prediction.attach(scope);
      try {
        collector.backward(prediction.mul(probes).sum());
      } catch (EngineException e) {
        throw new NoGradientException("the network gives no gradient with respect to its input"
            + " (it detaches it, or was exported under no_grad), so it has no Jacobian trace: "
            + e.getMessage().lines().reduce((a, b) -> b).orElse(""), e);
      }
      NDArray trace = input.getGradient().mul(probes).reshape(x.getShape().get(0), -1)
          .sum(new int[] {1});
      NDArray detached = prediction.stopGradient();
      detached.attach(home);
      trace.attach(home);
      return new Traced(detached, trace);
    } finally {
      COLLECTOR.unlock();
    }
  }

  /**
   * The prediction at x [B, ...] and Σ_k z_kᵀ·J·z_k over each row's K probes: the rows are
   * repeated once per probe so that one backward pass gives every product.
   *
   * @param probes [B, K, ...sampleShape]
   */
  public static Traced of(Model model, NDArray x, NDArray t, int[] labels, NDArray probes) {
    return of((xs, ts, ls, zs) -> rowwise(model, xs, ts, ls, zs), x, t, labels, probes);
  }

  /** {@link #of(Model, NDArray, NDArray, int[], NDArray)} with the rows' products from elsewhere. */
  public static Traced of(Rowwise rowwise, NDArray x, NDArray t, int[] labels, NDArray probes) {
    Shape shape = x.getShape();
    long rows = shape.get(0);
    long k = probes.getShape().get(1);
    NDArray repeated = repeat(x, k);
    int[] repeatedLabels = labels == null ? null : repeat(labels, (int) k);
    Traced traced = rowwise.apply(repeated, repeat(t, k), repeatedLabels,
        probes.reshape(repeated.getShape()));
    NDArray first = traced.prediction().reshape(new Shape(rows, k).addAll(shape.slice(1)))
        .get(":, 0");
    return new Traced(first, traced.trace().reshape(rows, k).sum(new int[] {1}));
  }

  /**
   * {@link #of} for a model that computes in float32 whatever it is given: the engine's type
   * casts do not carry gradients, so wider arrays are narrowed before autograd starts and the
   * answer widened back.
   */
  public static Traced inFloat32(Model model, NDArray x, NDArray t, int[] labels,
      NDArray probes) {
    DataType type = x.getDataType();
    if (type == DataType.FLOAT32) {
      return of(model, x, t, labels, probes);
    }
    Traced narrow = of(model, x.toType(DataType.FLOAT32, false),
        t.toType(DataType.FLOAT32, false), labels, probes.toType(DataType.FLOAT32, false));
    return new Traced(narrow.prediction().toType(type, false), narrow.trace().toType(type, false));
  }

  /** Each row k times in a row: [B, ...] to [B·k, ...]. */
  static NDArray repeat(NDArray x, long k) {
    Shape shape = x.getShape();
    Shape wide = new Shape(shape.get(0), k).addAll(shape.slice(1));
    return x.expandDims(1).broadcast(wide).reshape(new Shape(shape.get(0) * k)
        .addAll(shape.slice(1)));
  }

  static int[] repeat(int[] values, int k) {
    int[] out = new int[values.length * k];
    for (int i = 0; i < out.length; i++) {
      out[i] = values[i / k];
    }
    return out;
  }
}
