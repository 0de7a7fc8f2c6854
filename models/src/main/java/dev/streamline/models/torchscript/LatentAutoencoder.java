package dev.streamline.models.torchscript;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * The way between a latent model's samples and its data: a TorchScript decoder (latents to data,
 * such as a VAE's decoder) and optionally an encoder, scaled as diffusers' pipelines scale a VAE's
 * latents with its config's {@code scaling_factor} and {@code shift_factor}:
 *
 * <pre>
 *   decoded = decoder(latents / scaling_factor + shift_factor)
 *   latents = (encoder(data) - shift_factor) * scaling_factor
 * </pre>
 *
 * <p>Both modules take and return one float32 tensor, {@code forward(z)} with z [B, ...latent]
 * and {@code forward(x)} with x [B, ...data]; an encoder returns the latent itself (a VAE's
 * {@code latent_dist.mode()}, say), not a distribution. Rows must not influence each other, so
 * that decoding can be batched across requests. Arrays in another data type or on another device
 * are converted, and results come back in the caller's type, on its manager.
 */
public final class LatentAutoencoder implements AutoCloseable {

  private static final String DECODE = "decoder forward(z)";
  private static final String ENCODE = "encoder forward(x)";

  private final TorchScriptModule decoder;
  private final TorchScriptModule encoder;
  private final double scalingFactor;
  private final double shiftFactor;
  private final Shape latentShape;
  private final Shape dataShape;

  private LatentAutoencoder(TorchScriptModule decoder, TorchScriptModule encoder,
      double scalingFactor, double shiftFactor, Shape latentShape, Shape dataShape) {
    this.decoder = decoder;
    this.encoder = encoder;
    this.scalingFactor = scalingFactor;
    this.shiftFactor = shiftFactor;
    this.latentShape = latentShape;
    this.dataShape = dataShape;
  }

  /**
   * Loads the modules and probes them with two latents: the decoder's answer gives the data
   * shape, and an encoder must take it back to the latent shape; both must be finite.
   *
   * @param encoder the encoder's archive, or null for a decoder alone
   * @throws java.io.FileNotFoundException if an archive is missing
   * @throws MalformedModelException if an archive is not TorchScript or fails its probe
   */
  public static LatentAutoencoder load(Path decoder, Path encoder, double scalingFactor,
      double shiftFactor, Shape latentShape, Device device)
      throws IOException, MalformedModelException {
    Objects.requireNonNull(latentShape, "latentShape");
    if (!Double.isFinite(scalingFactor) || scalingFactor == 0 || !Double.isFinite(shiftFactor)) {
      throw new IllegalArgumentException("scaling_factor must be finite and non-zero and"
          + " shift_factor finite, got " + scalingFactor + " and " + shiftFactor);
    }
    TorchScriptModule decoding = TorchScriptModule.load(decoder, device, false);
    TorchScriptModule encoding = null;
    try {
      encoding = encoder == null ? null : TorchScriptModule.load(encoder, device, false);
      return new LatentAutoencoder(decoding, encoding, scalingFactor, shiftFactor, latentShape,
          probe(decoding, encoding, latentShape));
    } catch (Throwable e) {
      decoding.close();
      if (encoding != null) {
        encoding.close();
      }
      throw e;
    }
  }

  /** One latent sample's shape, without the batch dimension. */
  public Shape latentShape() {
    return latentShape;
  }

  /** One decoded sample's shape, without the batch dimension. */
  public Shape dataShape() {
    return dataShape;
  }

  public double scalingFactor() {
    return scalingFactor;
  }

  public double shiftFactor() {
    return shiftFactor;
  }

  public boolean canEncode() {
    return encoder != null;
  }

  /** Latents [B, ...latentShape] as data [B, ...dataShape]. */
  public NDArray decode(NDArray latents) {
    check(latents, latentShape, "latents");
    return run(decoder, DECODE, latents,
        z -> z.div(scalingFactor).add(shiftFactor), dataShape);
  }

  /** Data [B, ...dataShape] as latents [B, ...latentShape]. */
  public NDArray encode(NDArray data) {
    if (encoder == null) {
      throw new IllegalStateException(decoder.file() + " has no encoder beside it");
    }
    check(data, dataShape, "data");
    NDArray raw = run(encoder, ENCODE, data, UnaryOperator.identity(), latentShape);
    NDArray latents = raw.sub(shiftFactor).mul(scalingFactor);
    raw.close();
    return latents;
  }

  @Override
  public void close() {
    decoder.close();
    if (encoder != null) {
      encoder.close();
    }
  }

  /** The data shape, from the decoder's answer to two latents; an encoder must undo it. */
  private static Shape probe(TorchScriptModule decoder, TorchScriptModule encoder,
      Shape latentShape) throws MalformedModelException {
    try (NDManager scratch = decoder.manager().newSubManager()) {
      NDArray z = scratch.zeros(new Shape(2).addAll(latentShape), DataType.FLOAT32);
      NDArray x = probed(decoder, DECODE, z, null);
      if (encoder != null) {
        probed(encoder, ENCODE, x, latentShape);
      }
      return x.getShape().slice(1);
    }
  }

  /** The module's answer to a probe, which must keep the batch (and have {@code expected}). */
  private static NDArray probed(TorchScriptModule module, String signature, NDArray in, Shape expected)
      throws MalformedModelException {
    NDArray out;
    try {
      out = run(module, signature, in, UnaryOperator.identity(), null);
    } catch (EngineException e) {
      throw new MalformedModelException(module.file() + ": the probe call " + signature
          + " with an input of shape " + in.getShape() + " failed: "
          + TorchScriptModule.summary(e), e);
    } catch (IllegalStateException e) {
      throw new MalformedModelException(e.getMessage(), e);
    }
    Shape shape = out.getShape();
    if (shape.dimension() < 2 || shape.get(0) != in.getShape().get(0)
        || (expected != null && !shape.slice(1).equals(expected))) {
      long batch = in.getShape().get(0);
      throw new MalformedModelException(module.file() + ": " + signature + " returned shape "
          + shape + " for an input of shape " + in.getShape() + "; expected " + (expected == null
          ? "a batch of " + batch + " rows" : new Shape(batch).addAll(expected)));
    }
    if (!Double.isFinite(out.abs().sum().toType(DataType.FLOAT64, false).getDouble())) {
      throw new MalformedModelException(module.file() + ": " + signature
          + " answers non-finite values for an input of zeros");
    }
    return out;
  }

  private static void check(NDArray in, Shape row, String name) {
    Shape expected = new Shape(in.getShape().get(0)).addAll(row);
    if (!in.getShape().equals(expected)) {
      throw new IllegalArgumentException(name + " have shape " + in.getShape() + ", expected "
          + expected);
    }
  }

  /**
   * The module's answer for x, prepared by {@code before}, back in x's type on x's manager.
   *
   * @param row the shape each answer row must have, or null while probing
   */
  private static NDArray run(TorchScriptModule module, String signature, NDArray x,
      UnaryOperator<NDArray> before, Shape row) {
    NDManager home = x.getManager();
    try (PtNDManager scope = (PtNDManager) home.newSubManager()) {
      // Borrowed, so that every conversion below lands in the scope and is freed with it.
      scope.tempAttachAll(x);
      NDArray in = before.apply(x).toDevice(module.device(), false)
          .toType(DataType.FLOAT32, false);
      NDArray raw = module.forward(scope, signature, in);
      if (row != null && !raw.getShape().equals(new Shape(x.getShape().get(0)).addAll(row))) {
        throw new IllegalStateException(module.file() + ": " + signature + " returned shape "
            + raw.getShape() + " for an input of shape " + x.getShape());
      }
      NDArray out = raw.toDevice(x.getDevice(), false).toType(x.getDataType(), false);
      if (out == raw) {
        // Inference-mode tensors refuse in-place updates outside inference mode.
        out = raw.duplicate();
      }
      out.attach(home);
      return out;
    }
  }
}
