package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.analytic.GaussianMixture;
import dev.streamline.sampler.analytic.GaussianMixtureModel;
import java.util.ArrayList;
import java.util.List;

/**
 * An exact class-conditional model: label k is component k of the mixture alone, the null label
 * is the whole mixture. Records the batch size of every call.
 */
final class ComponentModel implements Model {

  private final GaussianMixtureModel unconditional;
  private final List<GaussianMixtureModel> perClass = new ArrayList<>();
  private final List<Long> calls;

  ComponentModel(GaussianMixture mixture, NoiseProcess process, List<Long> calls) {
    this.unconditional = new GaussianMixtureModel(mixture, process, Parameterization.VELOCITY);
    for (int k = 0; k < mixture.components(); k++) {
      GaussianMixture single = new GaussianMixture(new double[] {1.0},
          new double[][] {mixture.means().get(k)}, new double[][][] {mixture.covariances().get(k)});
      perClass.add(new GaussianMixtureModel(single, process, Parameterization.VELOCITY));
    }
    this.calls = calls;
  }

  @Override public Parameterization parameterization() { return Parameterization.VELOCITY; }
  @Override public NoiseProcess process() { return unconditional.process(); }
  @Override public Shape sampleShape() { return unconditional.sampleShape(); }
  @Override public int classCount() { return perClass.size(); }

  @Override
  public NDArray predict(NDArray x, NDArray t, int[] labels) {
    if (calls != null) {
      calls.add(x.getShape().get(0));
    }
    NDArray out = unconditional.predict(x, t, null);
    for (int k = 0; k < perClass.size(); k++) {
      double[] mask = new double[labels.length];
      for (int i = 0; i < labels.length; i++) {
        mask[i] = labels[i] == k ? 1 : 0;
      }
      NDArray rows = x.getManager().create(mask).toType(x.getDataType(), false).reshape(-1, 1);
      out = out.add(perClass.get(k).predict(x, t, null).sub(out).mul(rows));
    }
    return out;
  }
}
