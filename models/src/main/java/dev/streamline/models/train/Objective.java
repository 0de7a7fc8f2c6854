package dev.streamline.models.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.Coefficients;
import dev.streamline.sampler.Estimate;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.Parameterization;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * What the network regresses onto. Every objective draws a time, noises the data along its
 * process, and asks for the process's {@link Parameterization} of the (data, noise) pair, so the
 * targets come from the same conversion the samplers use.
 */
public enum Objective {
  /** Independent-coupling conditional flow matching (Lipman et al.; Tong et al. I-CFM). */
  CFM("cfm", "flow", new NoiseProcess.LinearInterpolant(), Parameterization.VELOCITY),
  /** Flow matching on minibatch optimal-transport pairs (Tong et al. OT-CFM). */
  OT_CFM("ot-cfm", "flow", new NoiseProcess.LinearInterpolant(), Parameterization.VELOCITY),
  /** Denoising diffusion on VP, epsilon prediction (Ho et al.). */
  VP_EPSILON("vp-epsilon", "diffusion", new NoiseProcess.VpLinear(), Parameterization.EPSILON),
  /** Denoising diffusion on VP, v prediction (Salimans &amp; Ho). */
  VP_V("vp-v", "diffusion", new NoiseProcess.VpLinear(), Parameterization.V);

  private final String id;
  private final String kind;
  private final NoiseProcess process;
  private final Parameterization parameterization;

  Objective(String id, String kind, NoiseProcess process, Parameterization parameterization) {
    this.id = id;
    this.kind = kind;
    this.process = process;
    this.parameterization = parameterization;
  }

  public String id() { return id; }
  public String kind() { return kind; }
  public NoiseProcess process() { return process; }
  public Parameterization parameterization() { return parameterization; }

  public static Objective fromId(String id) {
    for (Objective o : values()) {
      if (o.id.equals(id)) {
        return o;
      }
    }
    throw new IllegalArgumentException("unknown objective '" + id + "'; expected one of "
        + Arrays.stream(values()).map(Objective::id).toList());
  }

  /** A regression batch: network inputs (x_t, t) and the target. */
  public record Batch(NDArray xt, NDArray t, NDArray target) {}

  /**
   * Builds a batch from data and standard normal noise, both [n, ...shape] flattened; times are
   * drawn uniformly between the process's data and noise ends.
   */
  public Batch batch(float[] data, float[] noise, Shape shape, SplittableRandom random,
      NDManager manager) {
    int n = Math.toIntExact(data.length / shape.size());
    float[] paired = this == OT_CFM ? pairByTransport(noise, data, n) : noise;
    double[] t = new double[n];
    double lo = Math.min(process.noiseTime(), process.dataTime());
    double hi = Math.max(process.noiseTime(), process.dataTime());
    for (int i = 0; i < n; i++) {
      t[i] = lo + (hi - lo) * random.nextDouble();
    }
    Shape batchShape = new Shape(n).addAll(shape);
    NDArray x0 = manager.create(data, batchShape);
    NDArray eps = manager.create(paired, batchShape);
    Coefficients c = Coefficients.of(process, t, x0);
    NDArray xt = x0.mul(c.alpha()).add(eps.mul(c.sigma()));
    NDArray target = parameterization.compose(new Estimate(x0, eps), c);
    return new Batch(xt, manager.create(t).toType(DataType.FLOAT32, false), target);
  }

  /** Reorders the n noise rows so that noise i is matched to data i by exact minibatch OT. */
  static float[] pairByTransport(float[] noise, float[] data, int n) {
    int d = data.length / n;
    double[][] cost = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = 0; k < d; k++) {
          double diff = data[i * d + k] - noise[j * d + k];
          s += diff * diff;
        }
        cost[i][j] = s;
      }
    }
    int[] match = ExactAssignment.solve(cost);
    float[] out = new float[noise.length];
    for (int i = 0; i < n; i++) {
      System.arraycopy(noise, match[i] * d, out, i * d, d);
    }
    return out;
  }
}
