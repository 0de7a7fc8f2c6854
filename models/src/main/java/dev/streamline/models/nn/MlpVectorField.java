package dev.streamline.models.nn;

import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A vector field for low-dimensional data: an MLP with SiLU activations on the sample concatenated
 * with a sinusoidal embedding of its time. Inputs (x [B, d], t [B]); output [B, d].
 */
public final class MlpVectorField extends AbstractBlock {

  private static final byte VERSION = 1;

  private final int dimension;
  private final int timeFeatures;
  private final SequentialBlock trunk;

  public MlpVectorField(int dimension, int hidden, int depth, int timeFeatures) {
    super(VERSION);
    if (dimension < 1 || hidden < 1 || depth < 1 || timeFeatures < 2 || timeFeatures % 2 != 0) {
      throw new IllegalArgumentException("MLP needs dimension, hidden, depth >= 1 and an even"
          + " timeFeatures >= 2");
    }
    this.dimension = dimension;
    this.timeFeatures = timeFeatures;
    SequentialBlock layers = new SequentialBlock();
    for (int i = 0; i < depth; i++) {
      // SiLU as x·sigmoid(x): DJL's swish frees its beta scalar before backward reads it.
      layers.add(Linear.builder().setUnits(hidden).build())
          .add(x -> new NDList(x.singletonOrThrow().mul(Activation.sigmoid(x.singletonOrThrow()))));
    }
    layers.add(Linear.builder().setUnits(dimension).build());
    this.trunk = addChildBlock("trunk", layers);
  }

  @Override
  protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
      PairList<String, Object> params) {
    NDList features = new NDList(NDArrays.concat(
        new NDList(inputs.get(0), TimeEmbedding.of(inputs.get(1), timeFeatures)), 1));
    return trunk.forward(store, features, training, params);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    trunk.initialize(manager, dataType, new Shape(inputShapes[0].get(0), dimension + timeFeatures));
  }
}
