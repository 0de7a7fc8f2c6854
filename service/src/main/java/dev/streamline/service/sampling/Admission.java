package dev.streamline.service.sampling;

import java.util.HashMap;
import java.util.Map;

/**
 * The request slots: at most {@code capacity} orders run at once, and at most
 * {@code perClient} of them for one client, so that one client's burst leaves the other slots to
 * others. A client at its share is turned down even while slots are free.
 */
final class Admission {

  private final int capacity;
  private final int perClient;
  private final Map<String, Integer> held = new HashMap<>();
  private int total;

  Admission(int capacity, int perClient) {
    this.capacity = capacity;
    this.perClient = perClient;
  }

  /**
   * Takes a slot for the client, or says why not (null when it has one): every slot busy, which
   * turns everyone down alike, or else the client's share held.
   */
  synchronized Refused.Reason enter(String client) {
    if (total >= capacity) {
      return Refused.Reason.QUEUE_FULL;
    }
    int own = held.getOrDefault(client, 0);
    if (own >= perClient) {
      return Refused.Reason.OVER_SHARE;
    }
    held.put(client, own + 1);
    total++;
    return null;
  }

  synchronized void leave(String client) {
    total--;
    held.computeIfPresent(client, (key, own) -> own == 1 ? null : own - 1);
  }
}
