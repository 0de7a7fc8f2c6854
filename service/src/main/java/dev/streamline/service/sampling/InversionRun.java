package dev.streamline.service.sampling;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.Divergence;
import dev.streamline.sampler.Inspection;
import dev.streamline.sampler.LikelihoodResult;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SamplingLoop;
import dev.streamline.sampler.SamplingResult;
import dev.streamline.service.batching.Deadline;
import dev.streamline.service.batching.Session;
import dev.streamline.service.registry.ModelInfo;
import dev.streamline.service.registry.ServedModel;
import java.util.List;

/**
 * One run from data back to the noise end on a served model: an encode order's (the latents of
 * its samples) or, with a divergence, a likelihood order's. Its evaluations go through the
 * model's batchers under the run's deadline, the divergence's through the trace batcher.
 *
 * @param request checked with {@link SamplingJob#forEncoding} or {@link SamplingJob#forLikelihood}
 * @param data the samples [n, ...shape] flattened, in model space
 * @param divergence how a likelihood gets its divergence; null for an encode order
 * @param started when the order arrived, for its elapsed time
 */
record InversionRun(ServedModel served, SamplingJob request, float[] data, Divergence divergence,
    Inspection inspection, boolean returnLatents, Deadline deadline, long started) {

  /**
   * @throws dev.streamline.sampler.SamplingException when the values drove the run to fail
   * @throws dev.streamline.sampler.JacobianTrace.NoGradientException when the network gives no
   *     gradients for a likelihood
   * @throws Deadline.DeadlineExceededException past the deadline
   * @throws java.util.concurrent.CancellationException when cancelled
   */
  Outcome execute(Device device) {
    ModelInfo info = served.info();
    int n = request.n();
    try (NDManager manager = NDManager.newBaseManager(device)) {
      NDArray samples = manager.create(data, new Shape(n).addAll(served.model().sampleShape()));
      if (divergence == null) {
        SamplingResult result;
        try (Session session = served.open(deadline, 1)) {
          result = SamplingLoop.encode(session, request, samples, inspection, manager);
        }
        return new Outcome.Done(new GeneratedSamples(info, request.sampler(), request.steps(),
            result.nfe(), request.seed(), n, info.shape(), null, floats(result.samples()),
            List.of(), elapsedMs(), result.diagnostics()));
      }
      LikelihoodResult result;
      try (Session session = served.openForTraces(deadline, 1)) {
        result = SamplingLoop.likelihood(session, request, samples, divergence, inspection,
            manager);
      }
      long dimensions = served.model().sampleShape().size();
      double[] logLikelihood = result.logLikelihood();
      double[] bits = new double[n];
      for (int i = 0; i < n; i++) {
        bits[i] = LikelihoodResult.bitsPerDim(logLikelihood[i], dimensions,
            info.isImage() && info.latent() == null);
      }
      return new Outcome.Scored(new Likelihoods(info, request.sampler(), request.steps(),
          result.nfe(), divergence.kind().id(), divergence.probes(), request.seed(), n,
          logLikelihood, bits, returnLatents ? floats(result.latents()) : null,
          result.diagnostics(), elapsedMs()));
    }
  }

  private long elapsedMs() {
    return (System.nanoTime() - started) / 1_000_000;
  }

  private static float[] floats(NDArray array) {
    return array.toType(DataType.FLOAT32, false).toFloatArray();
  }
}
