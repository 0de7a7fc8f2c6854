package dev.streamline.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.streamline.sampler.JacobianTrace;
import dev.streamline.sampler.Model;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.Parameterization;

/**
 * One of our DJL networks as a {@link Model}. Parameters are frozen (no autograd graph is built
 * at inference) and read in place from a non-copying parameter store; inputs of another type are
 * cast to the network's float32 and the output back.
 */
public final class NetworkModel implements Model {

  private final Block network;
  private final ParameterStore parameters;
  private final NoiseProcess process;
  private final Parameterization parameterization;
  private final Shape sampleShape;
  private final int classCount;

  public NetworkModel(Block network, NoiseProcess process, Parameterization parameterization,
      Shape sampleShape, int classCount) {
    this.network = network;
    this.parameters = new ParameterStore(network.getParameters().get(0).getValue().getArray()
        .getManager(), false);
    this.process = process;
    this.parameterization = parameterization;
    this.sampleShape = sampleShape;
    this.classCount = classCount;
    network.freezeParameters(true);
  }

  public Block network() {
    return network;
  }

  @Override public Parameterization parameterization() { return parameterization; }
  @Override public NoiseProcess process() { return process; }
  @Override public Shape sampleShape() { return sampleShape; }
  @Override public int classCount() { return classCount; }

  /** {@inheritDoc} In float32, the network's type ({@link JacobianTrace#inFloat32}). */
  @Override
  public JacobianTrace.Traced traced(NDArray x, NDArray t, int[] labels, NDArray probes) {
    return JacobianTrace.inFloat32(this, x, t, labels, probes);
  }

  @Override
  public NDArray predict(NDArray x, NDArray t, int[] labels) {
    DataType type = x.getDataType();
    NDList inputs = new NDList(x.toType(DataType.FLOAT32, false), t.toType(DataType.FLOAT32, false));
    if (classCount > 0) {
      // The null class sits after the real ones in the class embedding; no labels asks for it.
      int[] classes = new int[(int) x.getShape().get(0)];
      for (int i = 0; i < classes.length; i++) {
        classes[i] = labels == null || labels[i] == NULL_LABEL ? classCount : labels[i];
      }
      inputs.add(x.getManager().create(classes));
    }
    return network.forward(parameters, inputs, false).singletonOrThrow().toType(type, false);
  }
}
