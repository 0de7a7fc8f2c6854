package dev.streamline.service.registry;

import dev.streamline.service.batching.ForwardBatcher;

/** A loaded, warmed-up model and the batcher that runs its forward passes. */
public record ServedModel(ModelInfo info, ForwardBatcher batcher, AutoCloseable weights)
    implements AutoCloseable {

  @Override
  public void close() throws Exception {
    batcher.close();
    if (weights != null) {
      weights.close();
    }
  }
}
