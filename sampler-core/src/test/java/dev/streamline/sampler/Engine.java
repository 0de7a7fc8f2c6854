package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.analytic.GaussianMixture;
import dev.streamline.sampler.analytic.GaussianMixtureModel;

/** Shared fixtures for the tests: the engine's manager, the analytic models and host helpers. */
final class Engine {

  private Engine() {}

  static final GaussianMixture MIXTURE = GaussianMixture.standard2d();
  static final NoiseProcess FLOW = new NoiseProcess.LinearInterpolant();
  static final NoiseProcess VP = new NoiseProcess.VpLinear();

  static NDManager manager() {
    return NDManager.newBaseManager();
  }

  static GaussianMixtureModel flowModel() {
    return new GaussianMixtureModel(MIXTURE, FLOW, Parameterization.VELOCITY);
  }

  static GaussianMixtureModel vpModel() {
    return new GaussianMixtureModel(MIXTURE, VP, Parameterization.SCORE);
  }

  /** Seeded unit-normal latents [n, 2] in float64. */
  static NDArray latents(NDManager manager, int n, long seed) {
    return new SeededNoise(seed, n, new Shape(2)).next(manager, DataType.FLOAT64);
  }

  static double[][] rows(NDArray x) {
    double[] flat = x.toType(DataType.FLOAT64, false).toDoubleArray();
    int n = (int) x.getShape().get(0);
    int d = flat.length / n;
    double[][] out = new double[n][d];
    for (int i = 0; i < n; i++) {
      System.arraycopy(flat, i * d, out[i], 0, d);
    }
    return out;
  }

  /** Largest absolute difference over all entries. */
  static double maxError(NDArray a, NDArray b) {
    return a.sub(b).abs().max().toType(DataType.FLOAT64, false).getDouble();
  }

  static SamplingResult run(Model model, SamplingJob job, NDManager manager) {
    return SamplingLoop.sample(model, job, manager);
  }

  /** A float64 job on 64 samples seeded from 11: every sampler starts from the same state. */
  static SamplingJob exact(String sampler, int steps) {
    return SamplingJob.of(sampler, steps, 64, 11).withDataType(DataType.FLOAT64);
  }
}
