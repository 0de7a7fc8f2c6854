package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * A network or closed-form field that samplers can drive: it answers in one declared
 * {@link Parameterization} on one {@link NoiseProcess}.
 */
public interface Model {

  /** Label that asks a class-conditional model for its unconditional (null-class) prediction. */
  int NULL_LABEL = -1;

  Parameterization parameterization();

  NoiseProcess process();

  /** Shape of one sample, without the batch dimension: [2] for points, [1, 28, 28] for images. */
  Shape sampleShape();

  /** Number of classes a conditional model knows; 0 for an unconditional model. */
  default int classCount() {
    return 0;
  }

  /**
   * Options a job on this model gets where it sets none, such as the time grid or x0 guard its
   * scheduler prescribes; {@link SamplingJob#forModel} applies them.
   */
  default SamplerOptions defaultOptions() {
    return SamplerOptions.DEFAULT;
  }

  /**
   * The prediction for a batch.
   *
   * @param x samples [B, ...sampleShape]
   * @param t one time per sample [B], in the process's time and x's data type
   * @param labels one class per sample ({@link #NULL_LABEL} for none), or null when unconditional
   */
  NDArray predict(NDArray x, NDArray t, int[] labels);

  /**
   * The prediction and, per row, Σ_k z_kᵀ·(∂prediction/∂x)·z_k over the row's probes: the
   * Jacobian traces a likelihood needs. By default autograd through {@link #predict}.
   *
   * @param probes [B, K, ...sampleShape]
   * @throws JacobianTrace.NoGradientException when the model gives no gradients
   */
  default JacobianTrace.Traced traced(NDArray x, NDArray t, int[] labels, NDArray probes) {
    return JacobianTrace.of(this, x, t, labels, probes);
  }
}
