package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a run records about each sample's integration when asked: its evaluations, an adaptive
 * solver's accepted and rejected steps, their sizes, local errors and stiffness estimates, the
 * evaluations at which the x0 guard acted, and the length of the path the state took. It watches
 * only: the integrator owns the state.
 */
public final class Diagnostics implements StepObserver {

  /**
   * One sample's figures; the adaptive ones are null for a fixed-step sampler.
   *
   * @param nfe evaluations that carried this sample
   * @param maxError largest scaled error norm of an accepted step (accepted when at most 1)
   * @param stiffness largest h·|λ| estimate of an accepted step (Hairer's DOPRI5 test: about 3.3
   *     or more where stability, not accuracy, limits the step); null for a tableau without two
   *     stages at one node
   * @param guardActed evaluations at which clip or threshold changed the x0 estimate
   * @param pathLength Σ‖x_{k+1} − x_k‖ over the accepted states
   * @param straightness ‖x_end − x_start‖ / pathLength: 1 for a straight path
   * @param sensitivity ‖Δx_end‖/‖Δx_start‖ of a perturbed twin, when asked for
   */
  public record Sample(int nfe, Integer acceptedSteps, Integer rejectedSteps, Double minStep,
      Double maxStep, Double maxError, Double stiffness, int guardActed, double pathLength,
      double straightness, Double sensitivity) {}

  private final int count;
  private final int dimension;
  private final int[] nfe;
  private final int[] accepted;
  private final int[] rejected;
  private final double[] minStep;
  private final double[] maxStep;
  private final double[] maxError;
  private final double[] stiffness;
  private final int[] guardActed;
  private final double[] pathLength;
  private final double[][] first;
  private final double[][] last;
  private boolean adaptive;
  private boolean stiffnessKnown;

  /**
   * @param count samples the run reports on (rows of larger ids, such as twins, are ignored)
   * @param dimension values of a sample's state that make its position (an augmented state
   *     carries more after them)
   */
  public Diagnostics(int count, int dimension) {
    this.count = count;
    this.dimension = dimension;
    nfe = new int[count];
    accepted = new int[count];
    rejected = new int[count];
    minStep = new double[count];
    maxStep = new double[count];
    maxError = new double[count];
    stiffness = new double[count];
    guardActed = new int[count];
    pathLength = new double[count];
    first = new double[count][];
    last = new double[count][];
    Arrays.fill(minStep, Double.POSITIVE_INFINITY);
  }

  /** An evaluation of these rows (null: the first {@code size} samples). */
  void evaluated(int[] rows, int size) {
    for (int i = 0; i < size; i++) {
      int id = rows == null ? i : rows[i];
      if (id < count) {
        nfe[id]++;
      }
    }
  }

  /** The x0 guard changed the estimate of the rows flagged. */
  void guarded(int[] rows, boolean[] acted) {
    for (int i = 0; i < acted.length; i++) {
      int id = rows == null ? i : rows[i];
      if (acted[i] && id < count) {
        guardActed[id]++;
      }
    }
  }

  /**
   * An adaptive solver's attempted step of one sample.
   *
   * @param stiffness the step's h·|λ| estimate, or NaN where the tableau gives none
   */
  public void attempted(int id, double step, double error, boolean accept, double stiffness) {
    adaptive = true;
    if (id >= count) {
      return;
    }
    if (!accept) {
      rejected[id]++;
      return;
    }
    accepted[id]++;
    minStep[id] = Math.min(minStep[id], step);
    maxStep[id] = Math.max(maxStep[id], step);
    maxError[id] = Math.max(maxError[id], error);
    if (!Double.isNaN(stiffness)) {
      stiffnessKnown = true;
      this.stiffness[id] = Math.max(this.stiffness[id], stiffness);
    }
  }

  /** Records the starting state. */
  void start(NDArray x) {
    int[] all = new int[(int) x.getShape().get(0)];
    Arrays.setAll(all, i -> i);
    onStep(0, null, x, all);
  }

  @Override
  public void onStep(int step, double[] times, NDArray x, int[] rows) {
    double[] flat = x.toType(DataType.FLOAT64, false).toDoubleArray();
    int size = flat.length / rows.length;
    for (int r = 0; r < rows.length; r++) {
      int id = rows[r];
      if (id >= count) {
        continue;
      }
      double[] position = Arrays.copyOfRange(flat, r * size, r * size + dimension);
      if (first[id] == null) {
        first[id] = position;
      } else {
        pathLength[id] += distance(position, last[id]);
      }
      last[id] = position;
    }
  }

  /** Every sample's figures, with the twins' growth factors when the run had them. */
  public List<Sample> samples(double[] sensitivity) {
    List<Sample> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      double chord = distance(last[i], first[i]);
      out.add(new Sample(nfe[i],
          adaptive ? accepted[i] : null,
          adaptive ? rejected[i] : null,
          adaptive && accepted[i] > 0 ? minStep[i] : null,
          adaptive && accepted[i] > 0 ? maxStep[i] : null,
          adaptive ? maxError[i] : null,
          adaptive && stiffnessKnown ? stiffness[i] : null,
          guardActed[i], pathLength[i], pathLength[i] > 0 ? chord / pathLength[i] : 1.0,
          sensitivity == null ? null : sensitivity[i]));
    }
    return out;
  }

  static double distance(double[] a, double[] b) {
    double sum = 0;
    for (int j = 0; j < a.length; j++) {
      sum += (a[j] - b[j]) * (a[j] - b[j]);
    }
    return Math.sqrt(sum);
  }
}
