package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * Standard normal noise with one generator per sample, seeded with (request seed + sample index).
 * Sample i therefore sees the same initial and per-step noise whether it is drawn alone or in a
 * batch, on every run and every device: the numbers are drawn on the host, not by the engine.
 */
public final class SeededNoise {

  private final SplittableRandom[] generators;
  private final Shape sampleShape;
  private final int sampleSize;

  public SeededNoise(long seed, int count, Shape sampleShape) {
    this(seeds(seed, count), sampleShape);
  }

  /** One generator per row, of the seed given for it. */
  SeededNoise(long[] seeds, Shape sampleShape) {
    this.generators = new SplittableRandom[seeds.length];
    for (int i = 0; i < seeds.length; i++) {
      generators[i] = new SplittableRandom(seeds[i]);
    }
    this.sampleShape = sampleShape;
    this.sampleSize = Math.toIntExact(sampleShape.size());
  }

  /** The next draw for every sample: an array [count, ...sampleShape]. */
  public NDArray next(NDManager manager, DataType type) {
    int count = generators.length;
    if (type == DataType.FLOAT64) {
      double[] values = new double[count * sampleSize];
      for (int i = 0; i < count; i++) {
        for (int j = 0; j < sampleSize; j++) {
          values[i * sampleSize + j] = generators[i].nextGaussian();
        }
      }
      return manager.create(values, batchShape(count));
    }
    return manager.create(nextFloats(), batchShape(count)).toType(type, false);
  }

  /** The next float32 draw for every sample, on the host: [count, ...sampleShape] row-major. */
  public float[] nextFloats() {
    int count = generators.length;
    float[] values = new float[count * sampleSize];
    for (int i = 0; i < count; i++) {
      for (int j = 0; j < sampleSize; j++) {
        values[i * sampleSize + j] = (float) generators[i].nextGaussian();
      }
    }
    return values;
  }

  /** seed, seed + 1, ..., the seeds of a request's samples. */
  static long[] seeds(long seed, int count) {
    long[] out = new long[count];
    for (int i = 0; i < count; i++) {
      out[i] = seed + i;
    }
    return out;
  }

  private Shape batchShape(int count) {
    return new Shape(count).addAll(sampleShape);
  }
}
