package dev.streamline.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * The sinusoidal embedding of the transformer and DDPM, applied to a per-sample time: features
 * sin(scale·t·f_k) and cos(scale·t·f_k) over geometrically spaced frequencies f_k. Times in [0, 1]
 * are scaled by 1000 so that they spread over the frequencies as DDPM's integer steps do.
 */
public final class TimeEmbedding {

  static final double SCALE = 1000.0;

  private TimeEmbedding() {}

  /** [B] times to [B, features] embeddings; features must be even. */
  public static NDArray of(NDArray t, int features) {
    int half = features / 2;
    NDArray k = t.getManager().arange(half).toType(t.getDataType(), false);
    NDArray frequencies = k.mul(-Math.log(10_000.0) / half).exp();
    NDArray angles = t.reshape(-1, 1).mul(SCALE).mul(frequencies.reshape(1, -1));
    return NDArrays.concat(new NDList(angles.sin(), angles.cos()), 1);
  }
}
