package dev.streamline.sampler.ode;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import dev.streamline.sampler.SamplingLoop;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The rows an adaptive solver is still integrating: which samples they are, their state, FSAL
 * derivative, times, step sizes and last errors. Rows that reach the end leave as finished blocks,
 * which {@link #assemble} puts back in sample order.
 */
final class ActiveRows {

  private final int count;
  private final double end;
  private final double direction;
  private final double minStep;
  private final double maxStep;
  private int[] ids;
  private double[] t;
  private double[] h;
  private double[] previousError;
  private NDArray state;
  private NDArray derivative;
  private final List<NDArray> finished = new ArrayList<>();
  private final List<int[]> finishedIds = new ArrayList<>();

  /** Every sample of x, at the start time, with no step size yet. */
  ActiveRows(NDArray x, double start, double end, double minStep, double maxStep) {
    this.count = (int) x.getShape().get(0);
    this.end = end;
    this.direction = Math.signum(end - start);
    this.minStep = minStep;
    this.maxStep = maxStep;
    this.state = x;
    ids = IntStream.range(0, count).toArray();
    t = new double[count];
    Arrays.fill(t, start);
    previousError = new double[count];
    Arrays.fill(previousError, 1.0);
  }

  /** Samples in the run. */
  int count() { return count; }
  int size() { return ids.length; }
  /** Which samples of the run the rows are. */
  int[] ids() { return ids; }
  double[] times() { return t; }
  double previousError(int row) { return previousError[row]; }
  NDArray state() { return state; }
  /** The derivative at the rows' state when the last step's last stage gave it, else null. */
  NDArray derivative() { return derivative; }

  /** Takes the first derivative and the starting step sizes, bounded by minStep and maxStep. */
  void start(NDArray first, double[] steps) {
    derivative = first;
    h = Arrays.stream(steps).map(this::bounded).toArray();
  }

  /** The signed step each row attempts next: its step size, cut to end at the end time. */
  double[] nextSteps() {
    double[] out = new double[ids.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = direction * Math.min(h[i], Math.abs(end - t[i]));
    }
    return out;
  }

  /**
   * Records a row's attempt of the signed step {@code step}: an accepted one moves the row on
   * (onto the end time when it reaches it) and becomes its previous error; either way the row's
   * next step size is the last one's times {@code factor}, bounded.
   */
  void attempted(int row, double step, double error, boolean accepted, double factor) {
    double size = Math.abs(step);
    if (accepted) {
      t[row] = Math.abs(end - t[row]) <= size ? end : t[row] + step;
      previousError[row] = Math.max(error, 1e-10);
    }
    h[row] = bounded(size * factor);
  }

  private double bounded(double step) {
    return Math.max(minStep, Math.min(maxStep, step));
  }

  /**
   * Moves on to the attempt's outcome: the rows that reached the end leave as a finished block,
   * and the others' state and derivative (null when none) are kept for the next attempt.
   */
  void advance(SamplingLoop.Scope scope, NDArray next, NDArray nextDerivative) {
    int[] leaving = IntStream.range(0, ids.length).filter(i -> t[i] == end).toArray();
    if (leaving.length == 0) {
      state = scope.keep(next);
      derivative = nextDerivative == null ? null : scope.keep(nextDerivative);
      return;
    }
    int[] staying = IntStream.range(0, ids.length).filter(i -> t[i] != end).toArray();
    finishedIds.add(Arrays.stream(leaving).map(i -> ids[i]).toArray());
    finished.add(scope.keep(next.get(index(leaving, next))));
    NDArray remaining = index(staying, next);
    state = scope.keep(next.get(remaining));
    derivative = nextDerivative == null ? null : scope.keep(nextDerivative.get(remaining));
    t = Arrays.stream(staying).mapToDouble(i -> t[i]).toArray();
    h = Arrays.stream(staying).mapToDouble(i -> h[i]).toArray();
    previousError = Arrays.stream(staying).mapToDouble(i -> previousError[i]).toArray();
    ids = Arrays.stream(staying).map(i -> ids[i]).toArray();
  }

  /** The time of the row furthest from the end. */
  double behind() {
    return (direction > 0 ? Arrays.stream(t).min() : Arrays.stream(t).max()).getAsDouble();
  }

  /** Every finished block back in sample order, once no row is active. */
  NDArray assemble(SamplingLoop loop) {
    long[] position = new long[count];
    int offset = 0;
    for (int[] block : finishedIds) {
      for (int id : block) {
        position[id] = offset++;
      }
    }
    try (SamplingLoop.Scope scope = loop.scope(finished.toArray(new NDArray[0]))) {
      NDArray all = NDArrays.concat(new NDList(finished));
      return scope.keep(all.get(all.getManager().create(position)));
    }
  }

  private static NDArray index(int[] rows, NDArray like) {
    return like.getManager().create(Arrays.stream(rows).asLongStream().toArray());
  }
}
