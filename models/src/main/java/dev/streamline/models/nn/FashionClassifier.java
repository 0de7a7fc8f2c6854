package dev.streamline.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A small CNN that classifies 1×28×28 Fashion-MNIST images (pixels in [-1, 1]) into the 10
 * classes; its penultimate activations are the feature space in which generated and real images
 * are compared, as Inception features are for the FID.
 *
 * <p>Three 3×3 convolutions with batch normalisation and ReLU (32 channels at 28×28, 64 at 14×14,
 * 32 at 7×7), then a fully connected layer to {@link #FEATURES} ReLU features, dropout, and the
 * linear class head. Input [B, 1, 28, 28]; output logits [B, 10].
 */
public final class FashionClassifier extends AbstractBlock {

  public static final int FEATURES = 128;
  public static final int CLASSES = 10;
  public static final Shape IMAGE = new Shape(1, 28, 28);
  private static final byte VERSION = 1;

  private final SequentialBlock trunk;
  private final Dropout dropout;
  private final Linear head;

  public FashionClassifier() {
    super(VERSION);
    Shape halve = new Shape(2, 2);
    trunk = addChildBlock("trunk", new SequentialBlock()
        .addAll(convolution(32), Pool.maxPool2dBlock(halve, halve))
        .addAll(convolution(64), Pool.maxPool2dBlock(halve, halve))
        .addAll(convolution(32))
        .add(Blocks.batchFlattenBlock())
        .add(Linear.builder().setUnits(FEATURES).build())
        .add(Activation::relu));
    dropout = addChildBlock("dropout", Dropout.builder().optRate(0.25f).build());
    head = addChildBlock("head", Linear.builder().setUnits(CLASSES).build());
  }

  private static SequentialBlock convolution(int filters) {
    return new SequentialBlock()
        .add(Conv2d.builder().setFilters(filters).setKernelShape(new Shape(3, 3))
            .optPadding(new Shape(1, 1)).build())
        .add(BatchNorm.builder().build())
        .add(Activation::relu);
  }

  /** The penultimate features [B, {@link #FEATURES}] of images [B, 1, 28, 28]. */
  public NDArray features(ParameterStore store, NDArray images, boolean training) {
    return trunk.forward(store, new NDList(images), training).singletonOrThrow();
  }

  /** The features at inference: running batch statistics, no dropout, weights read in place. */
  public NDArray features(NDArray images) {
    return features(new ParameterStore(images.getManager(), false), images, false);
  }

  @Override
  protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
      PairList<String, Object> params) {
    NDList features = new NDList(features(store, inputs.singletonOrThrow(), training));
    return head.forward(store, dropout.forward(store, features, training, params), training,
        params);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {new Shape(inputShapes[0].get(0), CLASSES)};
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    Shape images = inputShapes[0];
    if (!images.slice(1).equals(IMAGE)) {
      throw new IllegalArgumentException("the classifier takes images of shape [B, 1, 28, 28], not "
          + images);
    }
    trunk.initialize(manager, dataType, images);
    Shape features = new Shape(images.get(0), FEATURES);
    dropout.initialize(manager, dataType, features);
    head.initialize(manager, dataType, features);
  }
}
