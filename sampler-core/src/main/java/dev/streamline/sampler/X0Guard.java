package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Keeps x0 predictions inside the data range: a plain clip to [-limit, limit], or the dynamic
 * thresholding of Imagen (Saharia et al. 2022), which rescales each sample by its own
 * {@code percentile} of |x0| when that exceeds 1.
 */
public record X0Guard(Kind kind, double value) {

  public enum Kind { NONE, CLIP, DYNAMIC }

  public static final X0Guard NONE = new X0Guard(Kind.NONE, 0);

  public X0Guard {
    if (kind == Kind.CLIP && !(value > 0)) {
      throw new InvalidJobException("clip limit must be > 0, got " + value);
    }
    if (kind == Kind.DYNAMIC && !(value > 0 && value < 1)) {
      throw new InvalidJobException("dynamic-threshold percentile must be in (0, 1), got " + value);
    }
  }

  public static X0Guard clip(double limit) {
    return new X0Guard(Kind.CLIP, limit);
  }

  public static X0Guard dynamic(double percentile) {
    return new X0Guard(Kind.DYNAMIC, percentile);
  }

  /** The estimate with x0 guarded and eps made consistent with it again where sigma > 0. */
  public Estimate apply(Estimate e, NDArray x, Coefficients c) {
    if (kind == Kind.NONE) {
      return e;
    }
    return e.withX0(kind == Kind.CLIP ? e.x0().clip(-value, value) : threshold(e.x0()), x, c);
  }

  private NDArray threshold(NDArray x0) {
    Shape shape = x0.getShape();
    long batch = shape.get(0);
    long size = shape.size() / batch;
    NDArray sorted = x0.abs().reshape(batch, size).sort(1);
    // The order statistic at or above the percentile, so a small sample's maximum counts.
    long index = Math.min(size - 1, (long) Math.ceil(value * (size - 1)));
    NDArray s = sorted.get(":, " + index).maximum(1.0)
        .reshape(Coefficients.broadcastShape((int) batch, shape.dimension()));
    return x0.maximum(s.neg()).minimum(s).div(s);
  }
}
