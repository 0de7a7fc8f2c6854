package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Records every sample's state after each step, on the host. A sample that an adaptive solver
 * has already finished keeps its final state in later frames.
 */
public final class Trajectory implements StepObserver {

  /** One recorded step: every sample's time and flattened state. */
  public record Frame(int step, double[] times, float[][] samples) {}

  private final List<Frame> frames = new ArrayList<>();
  private final double[] times;
  private final float[][] samples;

  public Trajectory(int count, double startTime) {
    this.times = new double[count];
    this.samples = new float[count][];
    Arrays.fill(times, startTime);
  }

  /** Records the starting state as frame 0. */
  public void start(NDArray x) {
    int[] all = new int[(int) x.getShape().get(0)];
    Arrays.setAll(all, i -> i);
    onStep(0, times.clone(), x, all);
  }

  @Override
  public void onStep(int step, double[] rowTimes, NDArray x, int[] rows) {
    float[] flat = x.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
    int size = flat.length / rows.length;
    for (int r = 0; r < rows.length; r++) {
      // Rows past the samples are the twins of a sensitivity run.
      if (rows[r] >= samples.length) {
        continue;
      }
      times[rows[r]] = rowTimes[r];
      samples[rows[r]] = Arrays.copyOfRange(flat, r * size, (r + 1) * size);
    }
    float[][] copy = new float[samples.length][];
    for (int i = 0; i < samples.length; i++) {
      copy[i] = samples[i];
    }
    frames.add(new Frame(step, times.clone(), copy));
  }

  public List<Frame> frames() {
    return List.copyOf(frames);
  }
}
