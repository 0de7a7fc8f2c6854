package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * alpha, sigma and their time derivatives at each sample's time, shaped [B, 1, ..., 1] so they
 * broadcast against a batch x of shape [B, ...].
 */
public record Coefficients(NDArray alpha, NDArray sigma, NDArray alphaDot, NDArray sigmaDot) {

  public static Coefficients of(NoiseProcess process, double[] t, NDArray like) {
    int n = t.length;
    double[] a = new double[n];
    double[] s = new double[n];
    double[] da = new double[n];
    double[] ds = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = process.alpha(t[i]);
      s[i] = process.sigma(t[i]);
      da[i] = process.alphaDot(t[i]);
      ds[i] = process.sigmaDot(t[i]);
    }
    NDManager manager = like.getManager();
    Shape shape = broadcastShape(n, like.getShape().dimension());
    DataType type = like.getDataType();
    return new Coefficients(
        column(manager, a, shape, type),
        column(manager, s, shape, type),
        column(manager, da, shape, type),
        column(manager, ds, shape, type));
  }

  /** Host values as an array of the given type, created in that type (no cast op). */
  public static NDArray column(NDManager manager, double[] values, Shape shape, DataType type) {
    if (type == DataType.FLOAT32) {
      float[] narrow = new float[values.length];
      for (int i = 0; i < values.length; i++) {
        narrow[i] = (float) values[i];
      }
      return manager.create(narrow, shape);
    }
    return manager.create(values, shape).toType(type, false);
  }

  public static Shape broadcastShape(int batch, int dimensions) {
    long[] dims = new long[dimensions];
    java.util.Arrays.fill(dims, 1);
    dims[0] = batch;
    return new Shape(dims);
  }
}
