package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * How a likelihood run gets the divergence of the velocity field: exactly, with one
 * vector-Jacobian product per dimension, or by Hutchinson's unbiased estimator with
 * {@code probes} Rademacher vectors per sample (Grathwohl et al. 2019, FFJORD). As in FFJORD, a
 * sample keeps its probes for the whole solve, so the augmented ODE stays smooth and adaptive
 * solvers control its error as usual; they are drawn from the sample's seed.
 */
public record Divergence(Kind kind, int probes) {

  /** Most Hutchinson probes per sample. */
  public static final int MAX_PROBES = 64;
  /** Dimensions up to which the exact trace is the default. */
  public static final int EXACT_BY_DEFAULT = 16;

  public enum Kind {
    EXACT, HUTCHINSON;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Kind fromId(String id) {
      for (Kind kind : values()) {
        if (kind.id().equals(id)) {
          return kind;
        }
      }
      throw new InvalidJobException("divergence must be 'exact' or 'hutchinson', got '" + id + "'");
    }
  }

  public Divergence {
    if (kind == Kind.HUTCHINSON && (probes < 1 || probes > MAX_PROBES)) {
      throw new InvalidJobException("probes must be in [1, " + MAX_PROBES + "], got " + probes);
    }
  }

  public static Divergence exact() {
    return new Divergence(Kind.EXACT, 0);
  }

  public static Divergence hutchinson(int probes) {
    return new Divergence(Kind.HUTCHINSON, probes);
  }

  /** Exact for a model of up to {@link #EXACT_BY_DEFAULT} dimensions, else one probe. */
  public static Divergence defaultFor(Shape sampleShape) {
    return sampleShape.size() <= EXACT_BY_DEFAULT ? exact() : hutchinson(1);
  }

  /**
   * Every sample's probes [seeds, K, ...sampleShape], whose products sum to the trace (exact:
   * the unit vectors) or estimate it (Rademacher vectors over √K).
   *
   * @param seeds one seed per row; sample i of a request uses seed + i
   */
  NDArray probes(NDManager manager, long[] seeds, Shape sampleShape, DataType type) {
    int d = Math.toIntExact(sampleShape.size());
    int k = kind == Kind.EXACT ? d : probes;
    double[] values = new double[seeds.length * k * d];
    double scale = 1 / Math.sqrt(k);
    for (int i = 0; i < seeds.length; i++) {
      // A stream of its own, apart from the sample's sampling noise.
      SplittableRandom random = new SplittableRandom(seeds[i]).split();
      for (int p = 0; p < k; p++) {
        for (int j = 0; j < d; j++) {
          int at = (i * k + p) * d + j;
          values[at] = kind == Kind.EXACT ? (p == j ? 1 : 0)
              : random.nextBoolean() ? scale : -scale;
        }
      }
    }
    return manager.create(values, new Shape(seeds.length, k).addAll(sampleShape))
        .toType(type, false);
  }
}
