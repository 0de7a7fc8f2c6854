package dev.streamline.loadtest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What a sweep runs: its cells in order, and the load and requests of each. Request k of a cell
 * carries samples k·n … k·n + n − 1 ({@link Requests}); the first requests keep their samples for
 * the quality metrics.
 *
 * @param samplers the service's {@code /v1/samplers} entries by id
 * @param warmup unmeasured closed-loop load before each cell, or null for none
 * @param load the measured load of each cell
 * @param qualitySamples samples per cell the quality metrics use, 0 for none
 */
record SweepPlan(List<Cell> cells, Map<String, JsonNode> samplers, Requests bodies, int n,
    LoadDriver.Load warmup, LoadDriver.Load load, int qualitySamples) {

  /** Each sampler at each step count; an adaptive one, which takes none, at each tolerance. */
  static List<Cell> cells(List<String> ids, Map<String, JsonNode> samplers, List<Integer> steps,
      List<Double> tolerances) {
    List<Cell> cells = new ArrayList<>();
    for (String sampler : ids) {
      if (samplers.get(sampler).path("adaptive").asBoolean(false)) {
        tolerances.forEach(t -> cells.add(Cell.adaptive(sampler, t)));
      } else {
        steps.forEach(s -> cells.add(Cell.fixed(sampler, s)));
      }
    }
    return cells;
  }

  /** Requests enough for the quality samples: the first ones of each cell. */
  long qualityRequests() {
    return (qualitySamples + (long) n - 1) / n;
  }

  /** A cell's requests, the first {@code keptRequests} keeping their samples. */
  LoadDriver.RequestSource requests(Cell cell, long keptRequests) {
    return new LoadDriver.RequestSource() {
      @Override
      public ObjectNode body(long k) {
        return bodies.body(cell, k * n, n);
      }

      @Override
      public boolean keep(long k) {
        return k < keptRequests;
      }
    };
  }

  /** Whether the cell's sampler integrates a likelihood's ODE, as the service says. */
  boolean likelihood(Cell cell) {
    return samplers.get(cell.sampler()).path("likelihood").asBoolean(false);
  }

  /** Whether the cell's sampler is an ODE solver without injected noise. */
  boolean deterministic(Cell cell) {
    return !samplers.get(cell.sampler()).path("stochastic").asBoolean(true);
  }
}
