package dev.streamline.service.sampling;

import dev.streamline.service.registry.ServedModel;

/** A model id looked up for sampling: the served model, or why it cannot be sampled. */
public sealed interface ModelLookup permits ModelLookup.Found, Refused {

  record Found(ServedModel model) implements ModelLookup {}
}
