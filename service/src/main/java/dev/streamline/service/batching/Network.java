package dev.streamline.service.batching;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.streamline.models.torchscript.LatentAutoencoder;
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
    DECODER("decoder", "streamline.decoder", "streamline.decoder.queue");

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
  }

  /** A model's predictions, over the process's time range. */
  public static Network of(Model model) {
    return new Network(Stage.FORWARD, model.sampleShape(), model.sampleShape(),
        model.classCount(), model.process().noiseTime(), model.process().dataTime(),
        model::predict);
  }

  /** A latent model's decoder; it reads no time. */
  public static Network decoder(LatentAutoencoder autoencoder) {
    return new Network(Stage.DECODER, autoencoder.latentShape(), autoencoder.dataShape(), 0, 0,
        0, (x, t, labels) -> autoencoder.decode(x));
  }
}
