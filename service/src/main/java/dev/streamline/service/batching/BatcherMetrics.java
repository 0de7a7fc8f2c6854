package dev.streamline.service.batching;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * One model's batching meters: rows per forward pass (not counting padding), the time an
 * evaluation waits for its pass, and the requests in flight.
 */
record BatcherMetrics(DistributionSummary batchSize, Timer queueWait) {

  static BatcherMetrics register(String modelId, PassQueue queue, MeterRegistry meters) {
    DistributionSummary batchSize = DistributionSummary.builder("streamline.forward.batch.size")
        .description("Rows in one forward pass")
        .tag("model", modelId)
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
        .register(meters);
    Timer queueWait = Timer.builder("streamline.queue.wait")
        .description("Time an evaluation waits for its forward pass")
        .tag("model", modelId)
        .register(meters);
    Gauge.builder("streamline.queue.depth", queue, PassQueue::requests)
        .description("Sampling requests in flight on the model")
        .tag("model", modelId)
        .register(meters);
    return new BatcherMetrics(batchSize, queueWait);
  }
}
