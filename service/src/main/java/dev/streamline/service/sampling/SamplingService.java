package dev.streamline.service.sampling;

import ai.djl.ndarray.types.DataType;
import dev.streamline.sampler.Divergence;
import dev.streamline.sampler.Inspection;
import dev.streamline.sampler.InvalidJobException;
import dev.streamline.sampler.JacobianTrace;
import dev.streamline.sampler.SamplerCatalog;
import dev.streamline.sampler.SamplerOption;
import dev.streamline.sampler.SamplerOptions;
import dev.streamline.sampler.SamplerSpec;
import dev.streamline.sampler.SamplingException;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.service.batching.Deadline;
import dev.streamline.service.config.StreamlineProperties;
import dev.streamline.service.registry.ModelInfo;
import dev.streamline.service.registry.ModelRegistry;
import dev.streamline.service.registry.ServedModel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Service;

/**
 * Admits sampling orders (at most {@code queueCapacity} at once, and a client's share of them,
 * see {@link Admission}), validates them against the model, the limits and the cost limit, and
 * runs each on a worker thread, whose model evaluations go to the
 * model's batcher; orders that can share a run are merged first ({@link RequestMerger}). Records
 * the request metrics. It speaks in orders and outcomes only, so any front door can use it.
 */
@Service
public class SamplingService implements DisposableBean {

  /** Seeds drawn for requests without one stay below 2^53, so JSON clients read them exactly. */
  private static final long SEED_BOUND = 1L << 53;

  private final ModelRegistry registry;
  private final StreamlineProperties properties;
  private final MeterRegistry meters;
  private final Admission admission;
  private final ThreadPoolExecutor workers;
  /** Null when requests run on their own. */
  private final RequestMerger merger;

  public SamplingService(ModelRegistry registry, StreamlineProperties properties,
      MeterRegistry meters) {
    this.registry = registry;
    this.properties = properties;
    this.meters = meters;
    int capacity = properties.limits().queueCapacity();
    this.admission = new Admission(capacity, properties.limits().slotsPerClient());
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
        ? new RequestMerger(properties.djlDevice(), meters, workers, batching.mergeWindow(),
            batching.maxBatchSize())
        : null;
  }

  /**
   * An order's outcome to come, and the handle that cancels it.
   *
   * @param result completes with the outcome; exceptionally only for a failure of the service
   */
  public record Job(CompletableFuture<Outcome> result, Deadline deadline) {}

  /** The newest version of the model of this id, or why it cannot be sampled. */
  public ModelLookup find(String modelId) {
    return find(modelId, null);
  }

  /**
   * The served model of this id and version (the newest for a null version), held for the order
   * to come; or why it cannot be sampled (unknown, loading, failed).
   */
  public ModelLookup find(String modelId, String version) {
    return registry.hold(modelId, version).<ModelLookup>map(ModelLookup.Found::new)
        .orElseGet(() -> {
          String failure = registry.failures().get(modelId);
          if (failure != null) {
            return reject(Refused.Reason.NOT_READY,
                "model '" + modelId + "' failed to load: " + failure);
          }
          if (!registry.isLoaded()) {
            return reject(Refused.Reason.NOT_READY,
                "the models are still loading; retry when /actuator/health/readiness is UP");
          }
          return reject(Refused.Reason.NOT_FOUND, registry.unknown(modelId, version));
        });
  }

  /**
   * Validates and admits a sampling order for a model found (and held) by {@link #find}.
   *
   * @param client whom the order counts against in fair admission
   */
  public Job submit(ServedModel served, SampleOrder order, String client) {
    return admit(served, Endpoint.SAMPLES, client, order.n(), order.steps(), order.options(),
        (deadline, started) -> {
      SamplingRun run = plan(served, order, deadline, started);
      int maxRows = properties.batching().maxBatchSize();
      boolean merge = merger != null && order.inspection().equals(Inspection.NONE)
          && RequestMerger.mergeable(run.request(), maxRows);
      return new Planned(run.request(), () -> (merge ? merger.join(run)
          : CompletableFuture.supplyAsync(() -> run.execute(properties.djlDevice(), meters),
              workers)).thenApply(Outcome.Done::new));
    });
  }

  /** Validates and admits an encode order: samples carried back to their latents. */
  public Job encode(ServedModel served, EncodeOrder order, String client) {
    Integer n = order.samples() == null ? null : order.samples().size();
    return admit(served, Endpoint.ENCODE, client, n, order.steps(), order.options(),
        (deadline, started) -> {
      ModelInfo model = served.info();
      String sampler = order.sampler() != null ? order.sampler()
          : SamplerCatalog.encodingSamplers().contains(model.defaultSampler())
              ? model.defaultSampler() : "ddim";
      SamplingJob job = job(served, "samples", order.samples(), sampler, order.steps(),
          order.options(), 0, order.guidance(), order.labels()).forEncoding();
      InversionRun run = new InversionRun(served, job, samples(model, order.samples()), null,
          order.inspection(), false, deadline, started);
      return new Planned(job, () -> CompletableFuture.supplyAsync(
          () -> run.execute(properties.djlDevice()), workers));
    });
  }

  /** Validates and admits a likelihood order. */
  public Job likelihood(ServedModel served, LikelihoodOrder order, String client) {
    Integer n = order.samples() == null ? null : order.samples().size();
    return admit(served, Endpoint.LIKELIHOOD, client, n, order.steps(), order.options(),
        (deadline, started) -> {
      ModelInfo model = served.info();
      String sampler = order.sampler() == null ? "dopri5" : order.sampler();
      Divergence divergence = divergence(served, order);
      long seed = order.seed() == null
          ? ThreadLocalRandom.current().nextLong(SEED_BOUND) : order.seed();
      SamplingJob job = job(served, "samples", order.samples(), sampler, order.steps(),
          order.options(), seed, null, order.labels()).forLikelihood();
      InversionRun run = new InversionRun(served, job, samples(model, order.samples()),
          divergence, order.inspection(), order.returnLatents(), deadline, started);
      return new Planned(job, () -> CompletableFuture.supplyAsync(
          () -> run.execute(properties.djlDevice()), workers));
    });
  }

  /** The endpoints, which tag the request metrics. */
  private enum Endpoint {
    SAMPLES, ENCODE, LIKELIHOOD;

    String tag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** An order planned: its job (which the cost limit weighs), and how its run starts. */
  private record Planned(SamplingJob job, Supplier<CompletableFuture<Outcome>> start) {}

  @FunctionalInterface
  private interface Planner {
    /** @throws InvalidJobException for an order the model cannot run */
    Planned plan(Deadline deadline, long started);
  }

  /**
   * The one door of every order: the limits, the plan's checks, the cost limit, a request slot
   * of the client's share, the run on a worker, and the request metrics of its endpoint. The
   * model's hold ({@link #find}) ends with
   * the order, whichever way it ends.
   */
  private Job admit(ServedModel served, Endpoint endpoint, String client, Integer n,
      Integer steps, Map<SamplerOption, Object> options, Planner planner) {
    Job job;
    try {
      job = admitHeld(served, endpoint, client, n, steps, options, planner);
    } catch (RuntimeException | Error e) {
      served.release();
      throw e;
    }
    job.result().whenComplete((outcome, error) -> served.release());
    return job;
  }

  private Job admitHeld(ServedModel served, Endpoint endpoint, String client, Integer n,
      Integer steps, Map<SamplerOption, Object> options, Planner planner) {
    long started = System.nanoTime();
    Deadline deadline = Deadline.after(properties.limits().requestTimeout());
    Refused tooLarge = overLimits(served.info(), n, steps, options);
    if (tooLarge != null) {
      return refused(tooLarge, deadline);
    }
    Planned planned;
    try {
      planned = planner.plan(deadline, started);
    } catch (InvalidJobException e) {
      return refused(reject(Refused.Reason.INVALID, e.getMessage()), deadline);
    }
    Refused tooCostly = overCost(served, planned.job());
    if (tooCostly != null) {
      return refused(tooCostly, deadline);
    }
    Refused.Reason full = admission.enter(client);
    if (full != null) {
      StreamlineProperties.Limits limits = properties.limits();
      return refused(reject(full, full == Refused.Reason.OVER_SHARE
          ? "this client has " + limits.slotsPerClient() + " requests running, its share of the "
              + limits.queueCapacity() + " request slots (streamline.limits.client-share-percent"
              + " = " + limits.clientSharePercent() + "); retry after 1 s"
          : "all " + limits.queueCapacity() + " request slots are busy; retry after 1 s"),
          deadline);
    }
    CompletableFuture<Outcome> result;
    try {
      result = planned.start().get();
    } catch (RuntimeException e) {
      admission.leave(client);
      throw e;
    }
    String modelId = served.info().id();
    String sampler = planned.job().sampler();
    // Completed directly rather than as a dependent stage, so that an error is the cause itself,
    // not a CompletionException around it: Reactor logs any error but a CancellationException
    // that reaches a Mono whose client has hung up.
    CompletableFuture<Outcome> answer = new CompletableFuture<>();
    result.whenComplete((outcome, error) -> {
      admission.leave(client);
      Throwable cause = error instanceof CompletionException ? error.getCause() : error;
      Refused failed = cause == null ? null : failure(cause);
      String tag = cause == null ? "ok" : failed == null ? "error" : failed.reason().tag();
      Timer.builder("streamline.requests")
          .description("Request latency, by endpoint")
          .tags("model", modelId, "sampler", sampler, "outcome", tag, "endpoint",
              endpoint.tag())
          .publishPercentileHistogram()
          .register(meters)
          .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      if (outcome != null) {
        int count = outcome instanceof Outcome.Done done ? done.samples().n()
            : ((Outcome.Scored) outcome).likelihoods().n();
        int nfe = outcome instanceof Outcome.Done done ? done.samples().nfe()
            : ((Outcome.Scored) outcome).likelihoods().nfe();
        Counter.builder("streamline.samples").tags("model", modelId, "sampler", sampler,
            "endpoint", endpoint.tag()).register(meters).increment(count);
        Counter.builder("streamline.nfe").tags("model", modelId, "sampler", sampler,
            "endpoint", endpoint.tag()).register(meters).increment(nfe);
        answer.complete(outcome);
        return;
      }
      Counter.builder("streamline.failures").tag("reason", tag).register(meters).increment();
      if (failed != null) {
        answer.complete(failed);
      } else {
        answer.completeExceptionally(cause);
      }
    });
    return new Job(answer, deadline);
  }

  /** What an order that runs past its time limit is told. */
  public Refused timedOut() {
    return new Refused(Refused.Reason.TIMED_OUT, "the request ran past its time limit of "
        + properties.limits().requestTimeout().toSeconds() + " s; ask for fewer samples or steps");
  }

  /** The outcome of a run that ended in the order's own terms, or null for a service failure. */
  private Refused failure(Throwable cause) {
    if (cause instanceof Deadline.DeadlineExceededException) {
      return timedOut();
    }
    if (cause instanceof CancellationException) {
      return new Refused(Refused.Reason.CANCELLED, "the request was cancelled before it finished");
    }
    // A run the order's values made fail (non-finite samples, out of NFE budget) is theirs, and
    // so is asking a network without gradients for a likelihood.
    if (cause instanceof SamplingException || cause instanceof JacobianTrace.NoGradientException) {
      return new Refused(Refused.Reason.UNFINISHABLE, cause.getMessage());
    }
    return null;
  }

  private static Job refused(Refused refused, Deadline deadline) {
    return new Job(CompletableFuture.completedFuture(refused), deadline);
  }

  private Refused reject(Refused.Reason reason, String detail) {
    Counter.builder("streamline.rejections").tag("reason", reason.tag()).register(meters)
        .increment();
    return new Refused(reason, detail);
  }

  /**
   * A 413 for n or steps past the limits, else null; a missing n is the plan's to refuse. A
   * sigmas or timesteps list without steps defines its length or one fewer (the plan counts).
   */
  private Refused overLimits(ModelInfo model, Integer n, Integer givenSteps,
      Map<SamplerOption, Object> options) {
    StreamlineProperties.Limits limits = properties.limits();
    if (n != null && n > limits.maxSamples()) {
      return reject(Refused.Reason.TOO_LARGE, "n=" + n + " is over the limit of "
          + limits.maxSamples() + " samples per request; split it into several requests");
    }
    Object list = options.getOrDefault(SamplerOption.SIGMAS,
        options.get(SamplerOption.TIMESTEPS));
    int steps = givenSteps != null ? givenSteps
        : list instanceof List<?> values ? values.size() - 1 : model.defaultSteps();
    if (n != null && steps > limits.maxSteps()) {
      return reject(Refused.Reason.TOO_LARGE, "steps=" + steps + " is over the limit of "
          + limits.maxSteps() + " steps per request");
    }
    return null;
  }

  /**
   * A 413 for an order whose estimated compute, n × the evaluations its sampler is reckoned to
   * make per sample ({@link SamplerSpec#evaluationBound}) × the model's time per row, is over
   * {@code limits.max-cost-seconds}; else null.
   */
  private Refused overCost(ServedModel served, SamplingJob job) {
    SamplerSpec spec = SamplerCatalog.spec(job.sampler());
    long evaluations = spec.evaluationBound(job.steps(), job.options());
    double seconds = job.n() * (double) evaluations * served.secondsPerRow();
    int limit = properties.limits().maxCostSeconds();
    if (seconds <= limit) {
      return null;
    }
    boolean budget = spec.adaptive() && job.options().given().contains(SamplerOption.MAX_NFE);
    String perSample = budget ? "up to " + evaluations + " evaluations (maxNfe)"
        : job.steps() + " steps × " + spec.evalsPerStep() + " evaluations";
    return reject(Refused.Reason.TOO_COSTLY, String.format(Locale.ROOT, "this request would"
        + " take up to %.3f s of compute (n=%d × %s of '%s' × %.3f µs per row of '%s'), over"
        + " the limit of %d s per request (streamline.limits.max-cost-seconds); ask for fewer"
        + " samples or steps%s", seconds, job.n(), perSample, job.sampler(),
        served.secondsPerRow() * 1e6, served.info().id(), limit,
        budget ? ", or a smaller maxNfe" : ""));
  }

  /** The order as the run it asks for, its defaults filled in and every value checked. */
  private SamplingRun plan(ServedModel served, SampleOrder order, Deadline deadline,
      long started) {
    ModelInfo model = served.info();
    if (order.n() == null) {
      throw new InvalidJobException("n (the number of samples) is required");
    }
    String sampler = order.sampler() == null ? model.defaultSampler() : order.sampler();
    checkFinite(order.options());
    SamplerCatalog.spec(sampler).checkReads(order.options().keySet());
    SamplerOptions options = SamplerOptions.of(order.options());
    long seed = order.seed() == null
        ? ThreadLocalRandom.current().nextLong(SEED_BOUND) : order.seed();
    double guidance = order.guidance() == null ? 1.0 : order.guidance();
    float[] latents = order.latents() == null ? null
        : Latents.flatten(order.latents(), order.n(), model.shape());
    SamplingJob request = new SamplingJob(sampler, steps(served, order.steps(), options),
        order.n(), seed, guidance, order.labels(), latents, options, order.returnTrajectory(),
        DataType.FLOAT32);
    // Checked here, latents included (a partial run starts from them), and labels one per
    // sample, so that no member's labels can fail a merged run.
    request = request.forModel(served.model());
    return new SamplingRun(served, request, deadline, started, 1, decodes(model, order),
        order.inspection());
  }

  /**
   * The job of an encode or likelihood order, checked against the model: its samples' count, the
   * model's default steps, the options' values, the labels.
   */
  private SamplingJob job(ServedModel served, String field, List<?> samples, String sampler,
      Integer steps, Map<SamplerOption, Object> options, long seed, Double guidance,
      int[] labels) {
    if (samples == null || samples.isEmpty()) {
      throw new InvalidJobException(field + " is required: the data [n, ...shape] = [n, "
          + served.info().shape().stream().map(String::valueOf)
              .collect(java.util.stream.Collectors.joining(", ")) + "]");
    }
    checkFinite(options);
    SamplerCatalog.spec(sampler).checkReads(options.keySet());
    SamplerOptions checked = SamplerOptions.of(options);
    // Float64 state: the float32 network sees no difference, and the backward integration and
    // the log-density accumulate no float32 rounding.
    return new SamplingJob(sampler, steps(served, steps, checked), samples.size(), seed,
        guidance == null ? 1.0 : guidance, labels, null, checked, false, DataType.FLOAT64)
        .forModel(served.model());
  }

  /**
   * The steps asked for; else those of the job's sigmas or timesteps, as diffusers counts a list
   * it is given; else the model's default.
   */
  private static int steps(ServedModel served, Integer given, SamplerOptions options) {
    return given != null ? given
        : options.grid().listedSteps(served.model().process())
            .orElse(served.info().defaultSteps());
  }

  private static float[] samples(ModelInfo model, List<?> samples) {
    return Latents.flatten(samples, samples.size(), model.shape(), "samples");
  }

  /** The order's divergence, within the exact-divergence limit and the probe range. */
  private Divergence divergence(ServedModel served, LikelihoodOrder order) {
    long dimensions = served.model().sampleShape().size();
    Divergence.Kind kind = order.divergence() == null
        ? Divergence.defaultFor(served.model().sampleShape()).kind()
        : Divergence.Kind.fromId(order.divergence());
    if (kind == Divergence.Kind.EXACT) {
      if (order.probes() != null) {
        throw new InvalidJobException("probes is for the hutchinson divergence; the exact one"
            + " takes none");
      }
      int limit = properties.limits().maxExactDimensions();
      if (dimensions > limit) {
        throw new InvalidJobException("the exact divergence takes one vector-Jacobian product"
            + " per dimension, and '" + served.info().id() + "' has " + dimensions
            + ", over the limit of " + limit + "; use \"divergence\": \"hutchinson\"");
      }
      return Divergence.exact();
    }
    return Divergence.hutchinson(order.probes() == null ? 1 : order.probes());
  }

  private static void checkFinite(Map<SamplerOption, Object> options) {
    for (Map.Entry<SamplerOption, Object> option : options.entrySet()) {
      // "Infinity" and 1e400 reach here as doubles; some samplers take them and only fail at
      // their first step, with a hint (lower the guidance, add steps) that does not apply.
      if (option.getValue() instanceof Double number && !Double.isFinite(number)) {
        throw new InvalidJobException("options." + option.getKey().id()
            + " must be a finite number, got " + number);
      }
    }
  }

  /** Whether the samples are decoded: a latent model's are unless the order asks for latents. */
  private static boolean decodes(ModelInfo model, SampleOrder order) {
    String output = order.output();
    if (output != null && !order.asksForLatents() && !output.equals(SampleOrder.DECODED)) {
      throw new InvalidJobException("output must be '" + SampleOrder.LATENT + "' or '"
          + SampleOrder.DECODED + "', got '" + output + "'");
    }
    if (model.latent() == null && order.asksForLatents()) {
      throw new InvalidJobException("output 'latent' is for latent models (with a decoder); '"
          + model.id() + "' samples its data directly");
    }
    return model.latent() != null && !order.asksForLatents();
  }

  @Override
  public void destroy() {
    workers.shutdownNow();
  }
}
