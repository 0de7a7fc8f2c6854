package dev.streamline.service.batching;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.streamline.models.torchscript.LatentAutoencoder;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import dev.streamline.sampler.JacobianTrace;
import dev.streamline.sampler.Model;

/**
 * What a {@link ForwardBatcher} runs: a function of rows, x [B, ...input] with a time and (when
 * conditional) a label per row, answering [B, ...output]. Rows must not influence each other, so
 * rows of different requests can share a pass.
 *
 * @param classCount classes of a conditional network, whose rows carry labels; else 0
 * @param timeFrom the start of the times it is evaluated at (where the width calibration draws)
 * @param timeTo their end
 */
public record Network(Stage stage, Shape input, Shape output, int classCount, double timeFrom,
    double timeTo, Forward forward) {

  /** The pass itself; labels are null for an unconditional network. */
  @FunctionalInterface
  public interface Forward {
    NDArray apply(NDArray x, NDArray t, int[] labels);
  }

  /** Which of a model's networks it is, which names its threads and meters. */
  public enum Stage {
    /** The model's prediction, evaluated at every sampler step. */
    FORWARD("forward", "streamline.forward", "streamline.queue"),
    /** A latent model's decoder, run once on each request's final latents. */
    DECODER("decoder", "streamline.decoder", "streamline.decoder.queue"),
    /** The prediction with its Jacobian trace, for likelihoods: a forward and a backward pass. */
    TRACE("trace", "streamline.trace", "streamline.trace.queue");

    final String id;
    final String passMeters;
    final String queueMeters;

    Stage(String id, String passMeters, String queueMeters) {
      this.id = id;
      this.passMeters = passMeters;
      this.queueMeters = queueMeters;
    }

    /** Its name in threads, meters and logs. */
    public String id() {
      return id;
    }

    /** The gauge of the requests in flight on a model's stage. */
    public String depthMeter() {
      return queueMeters + ".depth";
    }
  }

  /** A model's predictions, over the process's time range. */
  public static Network of(Model model) {
    return new Network(Stage.FORWARD, model.sampleShape(), model.sampleShape(),
        model.classCount(), model.process().noiseTime(), model.process().dataTime(),
        model::predict);
  }

  /**
   * A model's predictions with their Jacobian traces ({@link JacobianTrace#rowwise}). A row is a
   * pair [x, z] [2, ...sampleShape]: a state and one probe; it answers the prediction at x,
   * flattened, then zᵀ·J·z. Rows stay independent, so the pairs of several likelihood requests
   * share one gradient pass.
   */
  public static Network trace(Model model) {
    Shape shape = model.sampleShape();
    long size = shape.size();
    return new Network(Stage.TRACE, new Shape(2).addAll(shape), new Shape(size + 1),
        model.classCount(), model.process().noiseTime(), model.process().dataTime(),
        (pairs, t, labels) -> {
          long rows = pairs.getShape().get(0);
          NDList halves = pairs.split(2, 1);
          Shape rowShape = new Shape(rows).addAll(shape);
          JacobianTrace.Traced traced = JacobianTrace.rowwise(model,
              halves.get(0).reshape(rowShape), t, labels, halves.get(1).reshape(rowShape));
          return NDArrays.concat(new NDList(traced.prediction().reshape(rows, size),
              traced.trace().reshape(rows, 1)), 1);
        });
  }

  /** A latent model's decoder; it reads no time. */
  public static Network decoder(LatentAutoencoder autoencoder) {
    return new Network(Stage.DECODER, autoencoder.latentShape(), autoencoder.dataShape(), 0, 0,
        0, (x, t, labels) -> autoencoder.decode(x));
  }
}
