package dev.streamline.service.sampling;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.streamline.sampler.SamplerCatalog;
import dev.streamline.sampler.SamplerOptions;
import dev.streamline.sampler.SamplerSpec;
import dev.streamline.sampler.SamplingException;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SamplingLoop;
import dev.streamline.sampler.SamplingResult;
import dev.streamline.sampler.TimeGrid;
import dev.streamline.sampler.Trajectory;
import dev.streamline.sampler.X0Guard;
import dev.streamline.service.api.ApiException;
import dev.streamline.service.api.SampleRequest;
import dev.streamline.service.batching.Deadline;
import dev.streamline.service.batching.Session;
import dev.streamline.service.config.StreamlineProperties;
import dev.streamline.service.registry.ModelInfo;
import dev.streamline.service.registry.ModelRegistry;
import dev.streamline.service.registry.ServedModel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/**
 * Admits sampling requests (at most {@code queueCapacity} at once), validates them against the
 * model and the limits, and runs each on a worker thread, whose model evaluations go to the
 * model's batcher; requests that can share a run are merged first ({@link RequestMerger}).
 * Records the request metrics.
 */
@Service
public class SamplingService implements DisposableBean {

  /** Seeds drawn for requests without one stay below 2^53, so JSON clients read them exactly. */
  private static final long SEED_BOUND = 1L << 53;

  private final ModelRegistry registry;
  private final StreamlineProperties properties;
  private final MeterRegistry meters;
  private final Semaphore slots;
  private final ThreadPoolExecutor workers;
  /** Null when requests run on their own. */
  private final RequestMerger merger;

  public SamplingService(ModelRegistry registry, StreamlineProperties properties,
      MeterRegistry meters) {
    this.registry = registry;
    this.properties = properties;
    this.meters = meters;
    int capacity = properties.limits().queueCapacity();
    this.slots = new Semaphore(capacity);
    AtomicInteger count = new AtomicInteger();
    this.workers = new ThreadPoolExecutor(capacity, capacity, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread thread = new Thread(r, "sampling-" + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
    workers.allowCoreThreadTimeOut(true);
    StreamlineProperties.Batching batching = properties.batching();
    this.merger = batching.enabled() && batching.mergeWindow().toNanos() > 0
        ? new RequestMerger(this::run, workers, batching.mergeWindow(), batching.maxBatchSize())
        : null;
  }

  /** A finished request: samples flattened in row-major order, [n, ...shape]. */
  public record Outcome(ModelInfo model, String sampler, int steps, int nfe, long seed, int n,
      float[] samples, List<Trajectory.Frame> trajectory, long elapsedMs) {}

  /** An admitted request: its result to come, and the handle that cancels it. */
  public record Job(CompletableFuture<Outcome> result, Deadline deadline) {}

  /**
   * Validates and admits a request.
   *
   * @throws ApiException 404 unknown model, 503 not ready, 400 invalid, 413 over a limit, 429 full
   */
  public Job submit(String modelId, SampleRequest body) {
    long started = System.nanoTime();
    ServedModel served = lookup(modelId);
    SamplingJob request;
    try {
      request = plan(served, body);
    } catch (ApiException e) {
      reject(e.status() == HttpStatus.CONTENT_TOO_LARGE ? "too_large" : "invalid");
      throw e;
    } catch (IllegalArgumentException e) {
      reject("invalid");
      throw new ApiException(HttpStatus.BAD_REQUEST, e.getMessage());
    }
    if (!slots.tryAcquire()) {
      reject("queue_full");
      HttpHeaders headers = new HttpHeaders();
      headers.set(HttpHeaders.RETRY_AFTER, "1");
      throw new ApiException(HttpStatus.TOO_MANY_REQUESTS, "all "
          + properties.limits().queueCapacity() + " request slots are busy; retry after 1 s",
          headers);
    }
    Deadline deadline = Deadline.after(properties.limits().requestTimeout());
    CompletableFuture<Outcome> result;
    try {
      int maxRows = properties.batching().maxBatchSize();
      if (merger != null && RequestMerger.mergeable(request, maxRows)) {
        result = merger.join(served, request, deadline, started);
      } else {
        result = CompletableFuture.supplyAsync(
            () -> run(served, request, deadline, started, 1), workers);
      }
    } catch (RuntimeException e) {
      slots.release();
      throw e;
    }
    String sampler = request.sampler();
    // Completed directly rather than as a dependent stage, so that an error is the cause itself,
    // not a CompletionException around it: Reactor logs any error but a CancellationException
    // that reaches a Mono whose client has hung up.
    CompletableFuture<Outcome> answer = new CompletableFuture<>();
    result.whenComplete((outcome, error) -> {
      slots.release();
      Throwable cause = error instanceof CompletionException ? error.getCause() : error;
      String tag = outcomeTag(cause);
      Timer.builder("streamline.requests")
          .description("Sampling request latency")
          .tags("model", modelId, "sampler", sampler, "outcome", tag)
          .publishPercentileHistogram()
          .register(meters)
          .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      if (outcome != null) {
        Counter.builder("streamline.samples").tags("model", modelId, "sampler", sampler)
            .register(meters).increment(outcome.n());
        Counter.builder("streamline.nfe").tags("model", modelId, "sampler", sampler)
            .register(meters).increment(outcome.nfe());
        answer.complete(outcome);
      } else {
        Counter.builder("streamline.failures").tag("reason", tag).register(meters).increment();
        answer.completeExceptionally(cause);
      }
    });
    return new Job(answer, deadline);
  }

  /** A served model's description; the same errors as {@link #submit} for one that is not. */
  public ModelInfo model(String modelId) {
    return lookup(modelId).info();
  }

  private ServedModel lookup(String modelId) {
    return registry.find(modelId).orElseThrow(() -> {
      String failure = registry.failures().get(modelId);
      if (failure != null) {
        reject("not_ready");
        return new ApiException(HttpStatus.SERVICE_UNAVAILABLE,
            "model '" + modelId + "' failed to load: " + failure);
      }
      if (!registry.isLoaded()) {
        reject("not_ready");
        return new ApiException(HttpStatus.SERVICE_UNAVAILABLE,
            "the models are still loading; retry when /actuator/health/readiness is UP");
      }
      reject("not_found");
      return new ApiException(HttpStatus.NOT_FOUND, "no model '" + modelId + "'; served: "
          + registry.all().stream().map(m -> m.info().id()).toList());
    });
  }

  private void reject(String reason) {
    Counter.builder("streamline.rejections").tag("reason", reason).register(meters).increment();
  }

  private static String outcomeTag(Throwable cause) {
    if (cause == null) {
      return "ok";
    }
    if (cause instanceof Deadline.DeadlineExceededException) {
      return "timeout";
    }
    if (cause instanceof CancellationException) {
      return "cancelled";
    }
    // A run the request's values made fail (non-finite samples, out of NFE budget) is theirs too.
    if (cause instanceof IllegalArgumentException || cause instanceof SamplingException) {
      return "invalid";
    }
    return "error";
  }

  /** One sampling run, for one request or several merged ({@code requests}). */
  private Outcome run(ServedModel served, SamplingJob request, Deadline deadline, long started,
      int requests) {
    ModelInfo info = served.info();
    DistributionSummary.builder("streamline.run.requests")
        .description("Requests one sampling run serves (more than 1 when merged)")
        .tag("model", info.id())
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256)
        .register(meters).record(requests);
    try (NDManager manager = NDManager.newBaseManager(properties.djlDevice());
        Session session = served.batcher().open(deadline, requests)) {
      SamplingResult result = SamplingLoop.sampleChecked(session, request, manager);
      float[] samples = result.samples().toType(DataType.FLOAT32, false).toFloatArray();
      return new Outcome(info, request.sampler(), request.steps(), result.nfe(), request.seed(),
          request.n(), samples, result.trajectory(), (System.nanoTime() - started) / 1_000_000);
    }
  }

  /** The request as a job, checked against the model, ready to run. */
  private SamplingJob plan(ServedModel served, SampleRequest body) {
    ModelInfo model = served.info();
    StreamlineProperties.Limits limits = properties.limits();
    if (body == null) {
      throw new ApiException(HttpStatus.BAD_REQUEST, "the request needs a JSON body with n");
    }
    if (body.n() == null) {
      throw new ApiException(HttpStatus.BAD_REQUEST, "n (the number of samples) is required");
    }
    if (body.n() > limits.maxSamples()) {
      throw new ApiException(HttpStatus.CONTENT_TOO_LARGE, "n=" + body.n() + " is over the limit"
          + " of " + limits.maxSamples() + " samples per request; split it into several requests");
    }
    int steps = body.steps() == null ? model.defaultSteps() : body.steps();
    if (steps > limits.maxSteps()) {
      throw new ApiException(HttpStatus.CONTENT_TOO_LARGE, "steps=" + steps + " is over the limit"
          + " of " + limits.maxSteps() + " steps per request");
    }
    String sampler = body.sampler() == null ? model.defaultSampler() : body.sampler();
    SamplerOptions options = options(sampler, body.options());
    int[] labels = labels(body.labels());
    long seed = body.seed() == null ? ThreadLocalRandom.current().nextLong(SEED_BOUND) : body.seed();
    double guidance = body.guidance() == null ? 1.0 : body.guidance();
    SamplingJob request = new SamplingJob(sampler, steps, body.n(), seed, guidance, labels,
        null, options, Boolean.TRUE.equals(body.returnTrajectory()), DataType.FLOAT32);
    // Checked here, and one per sample, so that no member's labels can fail a merged run.
    request = request.forModel(served.batcher().model());
    return body.latents() == null ? request
        : request.withLatents(Latents.flatten(body.latents(), body.n(), model.shape()));
  }

  private static int[] labels(List<Integer> labels) {
    if (labels == null) {
      return null;
    }
    int[] out = new int[labels.size()];
    for (int i = 0; i < out.length; i++) {
      if (labels.get(i) == null) {
        throw new ApiException(HttpStatus.BAD_REQUEST, "labels[" + i + "] is null");
      }
      out[i] = labels.get(i);
    }
    return out;
  }

  private static SamplerOptions options(String sampler, SampleRequest.Options given) {
    SamplerSpec spec = SamplerCatalog.spec(sampler);
    if (given == null) {
      return SamplerOptions.DEFAULT;
    }
    List<String> unread = new ArrayList<>();
    for (RecordComponent component : SampleRequest.Options.class.getRecordComponents()) {
      Object value = value(component, given);
      // "Infinity" and 1e400 reach here as doubles; some samplers take them and only fail at
      // their first step, with a hint (lower the guidance, add steps) that does not apply.
      if (value instanceof Double number && !Double.isFinite(number)) {
        throw new ApiException(HttpStatus.BAD_REQUEST, "options." + component.getName()
            + " must be a finite number, got " + number);
      }
      if (value != null && !spec.options().contains(component.getName())) {
        unread.add(component.getName());
      }
    }
    if (!unread.isEmpty()) {
      throw new ApiException(HttpStatus.BAD_REQUEST, "sampler '" + sampler + "' does not read "
          + unread + "; it reads " + spec.options());
    }
    if (given.clip() != null && given.threshold() != null) {
      throw new ApiException(HttpStatus.BAD_REQUEST,
          "clip and threshold both guard x0; choose one");
    }
    TimeGrid grid = new TimeGrid(
        given.timeGrid() == null ? null : TimeGrid.Kind.fromId(given.timeGrid()),
        given.rho() == null ? TimeGrid.DEFAULT.rho() : given.rho(),
        given.shift() == null ? TimeGrid.DEFAULT.shift() : given.shift());
    X0Guard guard = given.clip() != null ? X0Guard.clip(given.clip())
        : given.threshold() != null ? X0Guard.dynamic(given.threshold()) : X0Guard.NONE;
    return SamplerOptions.builder()
        .eta(given.eta()).churn(given.churn()).churnMin(given.churnMin())
        .churnMax(given.churnMax()).churnNoise(given.churnNoise()).snr(given.snr())
        .rtol(given.rtol()).atol(given.atol()).minStep(given.minStep()).maxStep(given.maxStep())
        .maxNfe(given.maxNfe()).batchErrorControl(given.batchErrorControl())
        .timeGrid(grid).guard(guard)
        .build();
  }

  private static Object value(RecordComponent component, Object record) {
    try {
      return component.getAccessor().invoke(record);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void destroy() {
    workers.shutdownNow();
  }
}
