package dev.streamline.service.sampling;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.streamline.sampler.Inspection;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SamplingLoop;
import dev.streamline.sampler.SamplingResult;
import dev.streamline.service.batching.Deadline;
import dev.streamline.service.batching.Session;
import dev.streamline.service.registry.ModelInfo;
import dev.streamline.service.registry.ServedModel;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * One sampling run on a served model, for one order or several merged ({@code requests}): its
 * evaluations go through the model's batcher under the run's deadline. The lone path and the
 * merged path both end here.
 *
 * @param request checked against the model ({@link SamplingJob#forModel})
 * @param started when the (first) order arrived, for its elapsed time
 * @param decode whether a latent model's samples are decoded (always false for other models)
 * @param inspection what the run reports besides its samples (a merged run reports nothing)
 */
record SamplingRun(ServedModel served, SamplingJob request, Deadline deadline, long started,
    int requests, boolean decode, Inspection inspection) {

  /**
   * @throws dev.streamline.sampler.SamplingException when the values drove the run to fail
   * @throws Deadline.DeadlineExceededException past the deadline
   * @throws java.util.concurrent.CancellationException when cancelled
   */
  GeneratedSamples execute(Device device, MeterRegistry meters) {
    DistributionSummary.builder("streamline.run.requests")
        .description("Requests one sampling run serves (more than 1 when merged)")
        .tag("model", served.info().id())
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256)
        .register(meters).record(requests);
    try (NDManager manager = NDManager.newBaseManager(device)) {
      SamplingResult result;
      try (Session session = served.open(deadline, requests)) {
        result = SamplingLoop.sampleChecked(session, request, inspection, manager);
      }
      float[] samples = result.samples().toType(DataType.FLOAT32, false).toFloatArray();
      ModelInfo info = served.info();
      if (decode) {
        samples = served.decode(samples, request.n(), manager, deadline, requests);
      }
      return new GeneratedSamples(info, request.sampler(), request.steps(), result.nfe(),
          request.seed(), request.n(), decode ? info.dataShape() : info.shape(),
          info.latent() == null ? null : decode ? SampleOrder.DECODED : SampleOrder.LATENT,
          samples,
          result.trajectory(), (System.nanoTime() - started) / 1_000_000, result.diagnostics());
    }
  }
}
