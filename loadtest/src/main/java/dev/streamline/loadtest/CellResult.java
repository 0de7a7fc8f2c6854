package dev.streamline.loadtest;

import java.util.Map;

/**
 * One row of the results: what a cell's load measured.
 *
 * @param nfe network evaluations per request as the server reported them, averaged over requests
 *     (adaptive samplers vary)
 * @param requests successful requests in the measured phase
 * @param errorsByStatus failed requests by HTTP status or transport failure
 * @param seconds measured phase, first request to last answer
 * @param p50Ms latency percentiles of successful requests; in open-loop mode counted from when
 *     each request was due
 * @param forwardBatchSize rows per forward pass on the server during the phase (its Prometheus
 *     metrics), NaN when not exposed
 * @param queueWaitMs mean wait of a request in the server's batching queue, NaN when not exposed
 * @param requestsPerRun requests one sampling run served on average (above 1 when the server
 *     merged requests), NaN when not exposed
 * @param qualitySamples samples the quality metrics were computed on
 * @param quality the meter's metrics, NaN where not defined (such as the exact-solution error of a
 *     stochastic sampler)
 */
record CellResult(Cell cell, double nfe, long requests, Map<String, Long> errorsByStatus,
    double seconds, double requestsPerSecond, double samplesPerSecond, double p50Ms, double p90Ms,
    double p99Ms, double maxMs, double meanMs, double forwardBatchSize, double queueWaitMs,
    double requestsPerRun, int qualitySamples, Map<String, Double> quality) {

  long errors() {
    return errorsByStatus.values().stream().mapToLong(Long::longValue).sum();
  }

  double metric(String name) {
    return quality.getOrDefault(name, Double.NaN);
  }
}
