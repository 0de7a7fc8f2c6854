package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;

/**
 * The memory scope of one step. DJL attaches each result to its first operand's manager, so an
 * unscoped loop keeps every intermediate of every step alive. A scope owns the state it is opened
 * with and everything computed from it; only what the step hands back through {@link #keep} or
 * {@link #finish} survives the scope's close.
 */
public final class StepScope implements AutoCloseable {

  private final NDManager home;
  private final NDManager scope;
  private final SamplingContext context;

  StepScope(SamplingContext context, NDManager home, NDArray... owned) {
    this.context = context;
    this.home = home;
    this.scope = home.newSubManager();
    for (NDArray array : owned) {
      if (array != null) {
        array.attach(scope);
      }
    }
  }

  /**
   * Lends arrays that must outlive the step to it: results computed from them land in this scope,
   * and the arrays themselves go back to the run's manager when it closes.
   */
  public void borrow(NDArray... arrays) {
    scope.tempAttachAll(arrays);
  }

  /** Moves an array out of the scope so that it survives into the next step. */
  public NDArray keep(NDArray array) {
    array.attach(home);
    return array;
  }

  /** Checks and publishes the new state of every row at one shared time, then keeps it. */
  public NDArray finish(NDArray next, int step, double time) {
    double[] times = new double[(int) next.getShape().get(0)];
    Arrays.fill(times, time);
    return finish(next, step, times, null);
  }

  /** Checks and publishes the new state at per-row times, then keeps it. */
  public NDArray finish(NDArray next, int step, double[] times, int[] rows) {
    publish(next, step, times, rows);
    return keep(next);
  }

  /** Checks the new state for non-finite values and shows it to the observers. */
  public void publish(NDArray next, int step, double[] times, int[] rows) {
    context.accept(next, step, times, rows);
  }

  @Override
  public void close() {
    scope.close();
  }
}
