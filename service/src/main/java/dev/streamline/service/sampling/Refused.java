package dev.streamline.service.sampling;

/**
 * A model that cannot be sampled now, or an order that was turned down or did not finish: the
 * reason, and a detail that says what the client can do about it.
 */
public record Refused(Reason reason, String detail) implements Outcome, ModelLookup {

  /** Why; {@link #tag} names it in the metrics. */
  public enum Reason {
    NOT_FOUND("not_found"),
    NOT_READY("not_ready"),
    INVALID("invalid"),
    TOO_LARGE("too_large"),
    QUEUE_FULL("queue_full"),
    /** The client holds its share of the request slots already. */
    OVER_SHARE("over_share"),
    /** The order's estimated compute is over the cost limit. */
    TOO_COSTLY("too_costly"),
    /** The values passed the checks and still made the sampling fail (non-finite, NFE budget). */
    UNFINISHABLE("invalid"),
    TIMED_OUT("timeout"),
    CANCELLED("cancelled");

    private final String tag;

    Reason(String tag) {
      this.tag = tag;
    }

    public String tag() {
      return tag;
    }
  }
}
