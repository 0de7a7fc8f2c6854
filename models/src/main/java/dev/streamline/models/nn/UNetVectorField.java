package dev.streamline.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A small class-conditional U-Net vector field for single-channel images, after DDPM's: residual
 * blocks (GroupNorm, SiLU, 3×3 convolutions) into which an embedding of time and class is added,
 * one level per channel multiplier with the resolution halved between levels (28 → 14 → 7 for
 * three), and skip connections from each level down to the same level up.
 *
 * <p>Inputs (x [B, 1, H, W], t [B], labels int [B]); output [B, 1, H, W]. Labels run from 0 to
 * {@code classCount}, where {@code classCount} itself is the null class that classifier-free
 * guidance conditions on; with {@code classCount} 0 the network is unconditional and takes no
 * labels.
 */
public final class UNetVectorField extends AbstractBlock {

  private static final byte VERSION = 1;
  /** Every channel count is a multiple of the base, so this must divide the base. */
  private static final int GROUPS = 8;

  private final int baseChannels;
  private final int[] channelMultipliers;
  private final int classCount;
  private final int embeddingFeatures;

  private final Conv2d inputConvolution;
  private final SequentialBlock timeMlp;
  private final Linear classEmbedding;
  private final List<ResidualBlock> down = new ArrayList<>();
  private final List<Conv2d> downsamples = new ArrayList<>();
  private final ResidualBlock middle;
  private final List<ResidualBlock> up = new ArrayList<>();
  private final List<Conv2d> upsamples = new ArrayList<>();
  private final GroupNorm outputNorm;
  private final Conv2d outputConvolution;

  /** The default network: base 32, levels at 1×, 2× and 2× the base channels. */
  public UNetVectorField(int classCount) {
    this(32, new int[] {1, 2, 2}, classCount);
  }

  public UNetVectorField(int baseChannels, int[] channelMultipliers, int classCount) {
    super(VERSION);
    if (baseChannels < GROUPS || baseChannels % GROUPS != 0 || channelMultipliers.length < 1
        || Arrays.stream(channelMultipliers).anyMatch(m -> m < 1) || classCount < 0) {
      throw new IllegalArgumentException("U-Net needs base channels a positive multiple of "
          + GROUPS + ", at least one channel multiplier, all >= 1, and classCount >= 0");
    }
    this.baseChannels = baseChannels;
    this.channelMultipliers = channelMultipliers.clone();
    this.classCount = classCount;
    this.embeddingFeatures = 4 * baseChannels;
    int levels = channelMultipliers.length;

    inputConvolution = addChildBlock("input", conv3x3(channels(0), 1));
    timeMlp = addChildBlock("time", new SequentialBlock()
        .add(Linear.builder().setUnits(embeddingFeatures).build())
        .add(list -> new NDList(silu(list.singletonOrThrow())))
        .add(Linear.builder().setUnits(embeddingFeatures).build()));
    // A bias-free linear map of a one-hot vector is an embedding table, and one-hot input keeps
    // the labels out of autograd.
    classEmbedding = classCount == 0 ? null : addChildBlock("class",
        Linear.builder().setUnits(embeddingFeatures).optBias(false).build());
    for (int level = 0; level < levels; level++) {
      int in = level == 0 ? channels(0) : channels(level - 1);
      down.add(addChildBlock("down" + level, new ResidualBlock(in, channels(level))));
      if (level < levels - 1) {
        downsamples.add(addChildBlock("downsample" + level, conv3x3(channels(level), 2)));
      }
    }
    middle = addChildBlock("middle", new ResidualBlock(channels(levels - 1), channels(levels - 1)));
    for (int level = levels - 1; level >= 0; level--) {
      up.add(addChildBlock("up" + level,
          new ResidualBlock(2 * channels(level), channels(level))));
      if (level > 0) {
        // The original U-Net's 2×2 up-convolution, which DJL's PyTorch engine lacks, as a 1×1
        // convolution to four times the finer level's channels and a pixel shuffle (see
        // upsample): far cheaper than upsampling and then convolving at 3×3.
        upsamples.add(addChildBlock("upsample" + level, Conv2d.builder()
            .setFilters(4 * channels(level - 1)).setKernelShape(new Shape(1, 1)).build()));
      }
    }
    outputNorm = addChildBlock("outputNorm", new GroupNorm(channels(0)));
    outputConvolution = addChildBlock("output", conv3x3(1, 1));
    // Near-zero initial velocities keep the first steps' loss at the target's own scale.
    outputConvolution.setInitializer(new NormalInitializer(1e-3f), Parameter.Type.WEIGHT);
  }

  public int baseChannels() {
    return baseChannels;
  }

  public int[] channelMultipliers() {
    return channelMultipliers.clone();
  }

  public int classCount() {
    return classCount;
  }

  private int channels(int level) {
    return baseChannels * channelMultipliers[level];
  }

  private static Conv2d conv3x3(int filters, int stride) {
    return Conv2d.builder().setFilters(filters).setKernelShape(new Shape(3, 3))
        .optPadding(new Shape(1, 1)).optStride(new Shape(stride, stride)).build();
  }

  @Override
  protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
      PairList<String, Object> params) {
    NDArray x = inputs.get(0);
    NDArray embedding = timeMlp.forward(store,
        new NDList(TimeEmbedding.of(inputs.get(1), baseChannels)), training, params)
        .singletonOrThrow();
    if (classEmbedding != null) {
      NDArray oneHot = inputs.get(2).oneHot(classCount + 1, x.getDataType());
      embedding = embedding.add(
          classEmbedding.forward(store, new NDList(oneHot), training, params).singletonOrThrow());
    }
    NDArray h = apply(inputConvolution, store, x, training, params);
    List<NDArray> skips = new ArrayList<>();
    for (int level = 0; level < down.size(); level++) {
      h = down.get(level).forward(store, new NDList(h, embedding), training, params)
          .singletonOrThrow();
      skips.add(h);
      if (level < downsamples.size()) {
        h = apply(downsamples.get(level), store, h, training, params);
      }
    }
    h = middle.forward(store, new NDList(h, embedding), training, params).singletonOrThrow();
    for (int i = 0; i < up.size(); i++) {
      NDArray joined = NDArrays.concat(new NDList(h, skips.get(skips.size() - 1 - i)), 1);
      h = up.get(i).forward(store, new NDList(joined, embedding), training, params)
          .singletonOrThrow();
      if (i < upsamples.size()) {
        h = pixelShuffle(apply(upsamples.get(i), store, h, training, params));
      }
    }
    h = silu(apply(outputNorm, store, h, training, params));
    return new NDList(apply(outputConvolution, store, h, training, params));
  }

  /**
   * x·sigmoid(x), without DJL's swish: that computes x·sigmoid(β·x) with β a scalar NDArray that
   * it closes at once, while autograd keeps the tensor for the backward pass; the PyTorch engine
   * backs such a tensor with a direct buffer that the garbage collector may then free, and the
   * gradient reads freed memory.
   */
  static NDArray silu(NDArray x) {
    return x.mul(Activation.sigmoid(x));
  }

  /** [B, 4C, H, W] to [B, C, 2H, 2W], each pixel's four channel groups becoming a 2×2 patch. */
  private static NDArray pixelShuffle(NDArray x) {
    Shape s = x.getShape();
    long channels = s.get(1) / 4;
    return x.reshape(s.get(0), channels, 2, 2, s.get(2), s.get(3))
        .transpose(0, 1, 4, 2, 5, 3)
        .reshape(s.get(0), channels, 2 * s.get(2), 2 * s.get(3));
  }

  private static NDArray apply(Block block, ParameterStore store, NDArray x, boolean training,
      PairList<String, Object> params) {
    return block.forward(store, new NDList(x), training, params).singletonOrThrow();
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    Shape x = inputShapes[0];
    long factor = 1L << (down.size() - 1);
    if (x.dimension() != 4 || x.get(1) != 1 || x.get(2) % factor != 0 || x.get(3) % factor != 0) {
      throw new IllegalArgumentException("U-Net with " + down.size() + " levels takes images of"
          + " shape [B, 1, H, W] with H and W multiples of " + factor + ", not " + x);
    }
    long batch = x.get(0);
    long height = x.get(2);
    long width = x.get(3);
    timeMlp.initialize(manager, dataType, new Shape(batch, baseChannels));
    if (classEmbedding != null) {
      classEmbedding.initialize(manager, dataType, new Shape(batch, classCount + 1));
    }
    Shape embedding = new Shape(batch, embeddingFeatures);
    inputConvolution.initialize(manager, dataType, x);
    for (int level = 0; level < down.size(); level++) {
      int in = level == 0 ? channels(0) : channels(level - 1);
      down.get(level).initialize(manager, dataType,
          new Shape(batch, in, height >> level, width >> level), embedding);
      if (level < downsamples.size()) {
        downsamples.get(level).initialize(manager, dataType,
            new Shape(batch, channels(level), height >> level, width >> level));
      }
    }
    int last = down.size() - 1;
    Shape bottom = new Shape(batch, channels(last), height >> last, width >> last);
    middle.initialize(manager, dataType, bottom, embedding);
    for (int i = 0; i < up.size(); i++) {
      int level = last - i;
      up.get(i).initialize(manager, dataType,
          new Shape(batch, 2 * channels(level), height >> level, width >> level), embedding);
      if (i < upsamples.size()) {
        upsamples.get(i).initialize(manager, dataType,
            new Shape(batch, channels(level), height >> level, width >> level));
      }
    }
    Shape top = new Shape(batch, channels(0), height, width);
    outputNorm.initialize(manager, dataType, top);
    outputConvolution.initialize(manager, dataType, top);
  }

  /**
   * x ↦ x' + conv(SiLU(norm(conv(SiLU(norm(x))) + proj(SiLU(embedding))))), where x' is x, or a
   * 1×1 convolution of it when the channel count changes.
   */
  private static final class ResidualBlock extends AbstractBlock {

    private final int out;
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear embeddingProjection;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d shortcut;

    ResidualBlock(int in, int out) {
      super(VERSION);
      this.out = out;
      norm1 = addChildBlock("norm1", new GroupNorm(in));
      conv1 = addChildBlock("conv1", conv3x3(out, 1));
      embeddingProjection = addChildBlock("embedding", Linear.builder().setUnits(out).build());
      norm2 = addChildBlock("norm2", new GroupNorm(out));
      conv2 = addChildBlock("conv2", conv3x3(out, 1));
      shortcut = in == out ? null : addChildBlock("shortcut", Conv2d.builder().setFilters(out)
          .setKernelShape(new Shape(1, 1)).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
        PairList<String, Object> params) {
      NDArray x = inputs.get(0);
      NDArray h = apply(conv1, store,
          silu(apply(norm1, store, x, training, params)), training, params);
      NDArray shift = apply(embeddingProjection, store, silu(inputs.get(1)),
          training, params);
      h = h.add(shift.expandDims(2).expandDims(3));
      h = apply(conv2, store, silu(apply(norm2, store, h, training, params)),
          training, params);
      return new NDList(h.add(shortcut == null ? x : apply(shortcut, store, x, training, params)));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
      Shape x = inputShapes[0];
      return new Shape[] {new Shape(x.get(0), out, x.get(2), x.get(3))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType,
        Shape... inputShapes) {
      Shape x = inputShapes[0];
      Shape hidden = getOutputShapes(inputShapes)[0];
      norm1.initialize(manager, dataType, x);
      conv1.initialize(manager, dataType, x);
      embeddingProjection.initialize(manager, dataType, inputShapes[1]);
      norm2.initialize(manager, dataType, hidden);
      conv2.initialize(manager, dataType, hidden);
      if (shortcut != null) {
        shortcut.initialize(manager, dataType, x);
      }
    }
  }

  /**
   * Group normalisation (Wu and He, 2018), which DJL lacks: each sample's channels are split into
   * {@link #GROUPS} groups, each normalised over its channels and pixels, then scaled and shifted
   * per channel. Unlike batch normalisation it behaves the same at batch size 1 as in training.
   */
  private static final class GroupNorm extends AbstractBlock {

    private static final float EPSILON = 1e-5f;

    private final int channels;
    private final Parameter gamma;
    private final Parameter beta;

    GroupNorm(int channels) {
      super(VERSION);
      this.channels = channels;
      gamma = addParameter(Parameter.builder().setName("gamma").setType(Parameter.Type.GAMMA)
          .optShape(new Shape(channels)).build());
      beta = addParameter(Parameter.builder().setName("beta").setType(Parameter.Type.BETA)
          .optShape(new Shape(channels)).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
        PairList<String, Object> params) {
      NDArray x = inputs.singletonOrThrow();
      Shape shape = x.getShape();
      NDArray grouped = x.reshape(shape.get(0), GROUPS, -1);
      // PyTorch's fused layer norm over each group, at unit scale and zero shift, is twice as fast
      // as the same statistics from elementwise operations; the per-channel affine follows.
      Shape group = new Shape(grouped.getShape().get(2));
      NDManager manager = x.getManager();
      NDArray normalised = grouped.getNDArrayInternal().layerNorm(grouped, group,
          manager.ones(group, x.getDataType()), manager.zeros(group, x.getDataType()), EPSILON)
          .singletonOrThrow().reshape(shape);
      NDArray scale = store.getValue(gamma, x.getDevice(), training).reshape(1, channels, 1, 1);
      NDArray shift = store.getValue(beta, x.getDevice(), training).reshape(1, channels, 1, 1);
      return new NDList(normalised.mul(scale).add(shift));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
      return new Shape[] {inputShapes[0]};
    }
  }
}
