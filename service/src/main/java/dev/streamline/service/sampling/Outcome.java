package dev.streamline.service.sampling;

/** How a sampling order ends: its samples, or why there are none. */
public sealed interface Outcome permits Outcome.Done, Refused {

  /** The samples, as asked. */
  record Done(GeneratedSamples samples) implements Outcome {}
}
