package dev.streamline.sampler.analytic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.Coefficients;
import dev.streamline.sampler.Estimate;
import dev.streamline.sampler.Model;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.Parameterization;

/**
 * The exact model of a {@link GaussianMixture} under any {@link NoiseProcess}: every marginal
 * x_t = alpha·x0 + sigma·eps is again a mixture, with components N(alpha·mu_k, alpha²·S_k +
 * sigma²·I), so E[x0 | x_t] and E[eps | x_t] have closed forms. It answers in the
 * parameterization asked for (velocity under the linear interpolant, score under VP, ...), needs no
 * network, and makes exact tests possible.
 */
public final class GaussianMixtureModel implements Model {

  private final GaussianMixture mixture;
  private final NoiseProcess process;
  private final Parameterization parameterization;

  public GaussianMixtureModel(GaussianMixture mixture, NoiseProcess process,
      Parameterization parameterization) {
    this.mixture = mixture;
    this.process = process;
    this.parameterization = parameterization;
  }

  public GaussianMixture mixture() {
    return mixture;
  }

  @Override
  public Parameterization parameterization() {
    return parameterization;
  }

  @Override
  public NoiseProcess process() {
    return process;
  }

  @Override
  public Shape sampleShape() {
    return new Shape(mixture.dimension());
  }

  @Override
  public NDArray predict(NDArray x, NDArray t, int[] labels) {
    double[] times = t.toType(DataType.FLOAT64, false).toDoubleArray();
    Coefficients c = Coefficients.of(process, times, x);
    return parameterization.compose(posterior(x, c), c);
  }

  /** E[x0 | x_t] and E[eps | x_t] under the mixture. */
  private Estimate posterior(NDArray x, Coefficients c) {
    NDManager m = x.getManager();
    DataType type = x.getDataType();
    NDArray alpha = c.alpha();
    NDArray alphaSq = alpha.square();
    NDArray sigmaSq = c.sigma().square();
    int k = mixture.components();
    NDList logits = new NDList();
    NDList precisionTimesDiff = new NDList();
    NDList covarianceTimesPrecisionTimesDiff = new NDList();
    for (int comp = 0; comp < k; comp++) {
      NDArray vectors = m.create(flatten(mixture.eigenvectors(comp)),
          new Shape(mixture.dimension(), mixture.dimension())).toType(type, false);
      NDArray values = m.create(mixture.eigenvalues(comp)).toType(type, false).expandDims(0);
      NDArray mean = m.create(mixture.mean(comp)).toType(type, false).expandDims(0);
      // In the eigenbasis of S_k the marginal covariance alpha²·S_k + sigma²·I is diagonal.
      NDArray variance = alphaSq.mul(values).add(sigmaSq);
      NDArray y = x.sub(mean.mul(alpha)).matMul(vectors);
      NDArray scaled = y.div(variance);
      NDArray logDensity = scaled.mul(y).sum(new int[] {1}).add(variance.log().sum(new int[] {1}))
          .mul(-0.5).add(Math.log(mixture.weights()[comp]));
      logits.add(logDensity);
      precisionTimesDiff.add(scaled.matMul(vectors.transpose()));
      covarianceTimesPrecisionTimesDiff.add(scaled.mul(values).matMul(vectors.transpose()));
    }
    NDArray responsibility = NDArrays.stack(logits, 1).softmax(1).expandDims(2);
    NDArray weightedPrecision = NDArrays.stack(precisionTimesDiff, 1).mul(responsibility)
        .sum(new int[] {1});
    NDArray means = m.create(flatten(mixture.means().toArray(double[][]::new)),
        new Shape(k, mixture.dimension())).toType(type, false).expandDims(0);
    NDArray meanPart = means.mul(responsibility).sum(new int[] {1});
    NDArray shrink = NDArrays.stack(covarianceTimesPrecisionTimesDiff, 1).mul(responsibility)
        .sum(new int[] {1});
    NDArray x0 = meanPart.add(shrink.mul(alpha));
    NDArray eps = weightedPrecision.mul(c.sigma());
    return new Estimate(x0, eps);
  }

  private static double[] flatten(double[][] rows) {
    int cols = rows[0].length;
    double[] out = new double[rows.length * cols];
    for (int r = 0; r < rows.length; r++) {
      System.arraycopy(rows[r], 0, out, r * cols, cols);
    }
    return out;
  }
}
