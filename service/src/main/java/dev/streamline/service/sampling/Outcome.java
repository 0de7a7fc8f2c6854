package dev.streamline.service.sampling;

/** How an order ends: its samples (or latents), its likelihoods, or why there are none. */
public sealed interface Outcome permits Outcome.Done, Outcome.Scored, Refused {

  /** The samples, as asked; for an encode order, the latents. */
  record Done(GeneratedSamples samples) implements Outcome {}

  /** The likelihoods, as asked. */
  record Scored(Likelihoods likelihoods) implements Outcome {}
}
