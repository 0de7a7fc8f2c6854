package dev.streamline.service.sampling;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.Inspection;
import dev.streamline.sampler.SamplerCatalog;
import dev.streamline.sampler.SamplerOptions;
import dev.streamline.sampler.SamplerSpec;
import dev.streamline.sampler.SamplingException;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SeededNoise;
import dev.streamline.service.batching.Deadline;
import dev.streamline.service.registry.ServedModel;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Serves requests that ask one model for the same deterministic fixed-step sampling (sampler,
 * steps, options, guidance; labelled or not; no trajectory) with one sampling run, when they
 * arrive within the merge window: request-level batching on top of the step-level kind.
 *
 * <p>Each request's starting noise is drawn from its own seeds, its labels go with its rows, and
 * the run's rows are independent in the sampler's arithmetic, the guidance and the network, so
 * every sample is bitwise what the request would get alone, and so is its NFE. What merging
 * saves is the per-request part of a step — the sampler's handful of small libtorch operations
 * and the hand-off to the batcher — which on a CPU costs more than a small network's share of
 * the forward pass.
 */
final class RequestMerger {

  private record Key(String model, String sampler, int steps, SamplerOptions options,
      double guidance, boolean labelled, boolean decode) {}

  /** A request's run if it were alone, and its answer to come. */
  private record Member(SamplingRun alone, CompletableFuture<GeneratedSamples> result) {

    SamplingJob request() {
      return alone.request();
    }
  }

  private static final class Run {
    final List<Member> members = new ArrayList<>();
    int rows;
  }

  private final Device device;
  private final MeterRegistry meters;
  private final Executor workers;
  private final Executor delayed;
  private final int maxRows;
  private final Map<Key, Run> forming = new HashMap<>();
  /** Requests of each model that joined and are not answered yet. */
  private final Map<String, Integer> active = new HashMap<>();

  RequestMerger(Device device, MeterRegistry meters, Executor workers, Duration window,
      int maxRows) {
    this.device = device;
    this.meters = meters;
    this.workers = workers;
    this.delayed = CompletableFuture.delayedExecutor(window.toNanos(), TimeUnit.NANOSECONDS,
        workers);
    this.maxRows = maxRows;
  }

  /** Whether a request may share its run: not if it draws noise or records its trajectory. */
  static boolean mergeable(SamplingJob request, int maxRows) {
    SamplerSpec spec = SamplerCatalog.spec(request.sampler());
    return !spec.drawsNoise(request.options()) && !spec.adaptive()
        && !request.recordTrajectory()
        && request.dataType() == DataType.FLOAT32 && request.n() <= maxRows;
  }

  /**
   * Adds a mergeable request, already checked against the model ({@code SamplingJob.forModel}),
   * to the run forming for its kind, or forms one: it starts after the merge window, or at once
   * when the model is idle, so that merging costs a lone request nothing.
   */
  CompletableFuture<GeneratedSamples> join(SamplingRun alone) {
    Member member = new Member(alone, new CompletableFuture<>());
    // A request cancelled while its run forms or runs stops waiting for it at once.
    alone.deadline().watch(member.result());
    ServedModel served = alone.served();
    SamplingJob request = alone.request();
    String model = served.info().id();
    Key key = new Key(model, request.sampler(), request.steps(), request.options(),
        request.guidance(), request.labels() != null, alone.decode());
    synchronized (forming) {
      int others = active.merge(model, 1, Integer::sum) - 1;
      Run run = forming.get(key);
      if (run == null || run.rows + request.n() > maxRows) {
        Run next = new Run();
        forming.put(key, next);
        boolean idle = others == 0 && served.batcher().requests() == 0;
        CompletableFuture.runAsync(() -> start(served, key, next), idle ? workers : delayed);
        run = next;
      }
      run.members.add(member);
      run.rows += request.n();
    }
    member.result().whenComplete((outcome, error) -> {
      synchronized (forming) {
        active.merge(model, -1, (a, b) -> a + b == 0 ? null : a + b);
      }
    });
    return member.result();
  }

  /**
   * Runs a task on the model while holding it: a member cancelled is answered at once, and the
   * run, still using the model until it sees that, must keep it open though every member has let
   * go. A model no longer held has no member waiting.
   */
  private static void holding(ServedModel served, Runnable task) {
    if (served.hold()) {
      try {
        task.run();
      } finally {
        served.release();
      }
    }
  }

  private void start(ServedModel served, Key key, Run run) {
    holding(served, () -> runMerged(served, key, run));
  }

  private void runMerged(ServedModel served, Key key, Run run) {
    List<Member> members;
    synchronized (forming) {
      forming.remove(key, run);
      members = run.members.stream().filter(m -> !m.result().isDone()).toList();
    }
    if (members.isEmpty()) {
      return;
    }
    if (members.size() == 1) {
      alone(members.get(0));
      return;
    }
    try {
      GeneratedSamples all = new SamplingRun(served, merged(served, members), shared(members),
          members.get(0).alone().started(), members.size(), key.decode(), Inspection.NONE)
          .execute(device, meters);
      split(all, members);
    } catch (SamplingException e) {
      // The run stops at the first non-finite row, whoever's values made it: each request runs
      // again on its own, so only the one at fault gets the error (and the others the samples
      // they would have had, since rows are independent).
      members.forEach(m -> CompletableFuture.runAsync(() -> holding(served, () -> alone(m)),
          workers));
    } catch (Throwable e) {
      // Whatever else ends the run ends its requests: nobody else is waiting on this task.
      members.forEach(m -> m.result().completeExceptionally(e));
    }
  }

  private void alone(Member member) {
    try {
      member.result().complete(member.alone().execute(device, meters));
    } catch (Throwable e) {
      member.result().completeExceptionally(e);
    }
  }

  /** Ends with the last member's time limit; cancelled once every member is. */
  private static Deadline shared(List<Member> members) {
    long remaining = members.stream().mapToLong(m -> m.alone().deadline().remainingNanos()).max()
        .orElse(0);
    Deadline deadline = Deadline.after(Duration.ofNanos(remaining));
    for (Member member : members) {
      member.result().whenComplete((outcome, error) -> {
        if (members.stream().allMatch(m -> m.result().isDone())) {
          deadline.cancel();
        }
      });
    }
    return deadline;
  }

  private static SamplingJob merged(ServedModel served, List<Member> members) {
    SamplingJob first = members.get(0).request();
    int n = members.stream().mapToInt(m -> m.request().n()).sum();
    int[] labels = first.labels() == null ? null : members.stream()
        .flatMapToInt(m -> Arrays.stream(m.request().labels())).toArray();
    return new SamplingJob(first.sampler(), first.steps(), n, first.seed(), first.guidance(),
        labels, latents(served, members), first.options(), false, DataType.FLOAT32);
  }

  /** Every member's starting noise, given or drawn from its own seeds, one after the other. */
  private static float[] latents(ServedModel served, List<Member> members) {
    Shape shape = served.model().sampleShape();
    float[] all = new float[members.stream().mapToInt(m -> m.request().n()).sum()
        * Math.toIntExact(shape.size())];
    int offset = 0;
    for (Member member : members) {
      SamplingJob request = member.request();
      float[] own = request.latents() != null ? request.latents()
          : new SeededNoise(request.seed(), request.n(), shape).nextFloats();
      System.arraycopy(own, 0, all, offset, own.length);
      offset += own.length;
    }
    return all;
  }

  /** Gives every member its rows of the run, with its own seed and time. */
  private static void split(GeneratedSamples all, List<Member> members) {
    int row = 0;
    long now = System.nanoTime();
    for (Member member : members) {
      SamplingJob request = member.request();
      member.result().complete(all.rows(request.seed(), row, request.n(),
          (now - member.alone().started()) / 1_000_000));
      row += request.n();
    }
  }
}
