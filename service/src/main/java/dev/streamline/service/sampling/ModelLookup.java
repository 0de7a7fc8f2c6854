package dev.streamline.service.sampling;

import dev.streamline.service.registry.ServedModel;

/** A model id looked up for sampling: the served model, or why it cannot be sampled. */
public sealed interface ModelLookup permits ModelLookup.Found, Refused {

  /**
   * A model held for an order: {@link SamplingService}'s submit, encode or likelihood take the
   * hold over and end it with the order; a caller that submits nothing releases it.
   */
  record Found(ServedModel model) implements ModelLookup {}
}
