package dev.streamline.service.batching;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * One batcher's meters, named for its {@link Network.Stage}: rows per pass (not counting
 * padding), the time a pass takes and the time an evaluation waits for its pass. The requests in
 * flight ({@link Network.Stage#depthMeter}) are the registry's to count, over every version and
 * generation of a model that is served or still finishing its requests.
 */
record BatcherMetrics(DistributionSummary batchSize, Timer duration, Timer queueWait) {

  static BatcherMetrics register(Network.Stage stage, String modelId, MeterRegistry meters) {
    DistributionSummary batchSize = DistributionSummary.builder(stage.passMeters + ".batch.size")
        .description("Rows in one " + stage.id + " pass")
        .tag("model", modelId)
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
        .register(meters);
    Timer duration = Timer.builder(stage.passMeters + ".duration")
        .description("Time one " + stage.id + " pass takes, padding and chunks included")
        .tag("model", modelId)
        .register(meters);
    Timer queueWait = Timer.builder(stage.queueMeters + ".wait")
        .description("Time an evaluation waits for its " + stage.id + " pass")
        .tag("model", modelId)
        .register(meters);
    return new BatcherMetrics(batchSize, duration, queueWait);
  }
}
