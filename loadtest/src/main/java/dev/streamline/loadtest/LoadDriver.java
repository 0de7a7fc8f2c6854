package dev.streamline.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.DoubleConsumer;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import tools.jackson.databind.node.ObjectNode;

/**
 * Drives one cell's requests against the service and records what came back.
 *
 * <p>Closed loop: {@code concurrency} workers each send a request, wait for the answer and send the
 * next, so the offered load adapts to the server's speed. Open loop: requests start on a fixed
 * schedule of {@code rate} per second whatever the server does, and each latency is measured from
 * the moment its request was due rather than sent, so a stalled client or server cannot hide
 * queueing delay (coordinated omission).
 */
final class LoadDriver {

  /** Which body request k sends, and whether its samples are kept for the quality metrics. */
  interface RequestSource {
    ObjectNode body(long k);

    boolean keep(long k);
  }

  /**
   * How long and how hard to drive a cell: exactly one of {@code duration} and {@code requests};
   * {@code rate} null for the closed loop.
   */
  record Load(int concurrency, Duration duration, Long requests, Double rate) {}

  /**
   * What one run recorded.
   *
   * @param latencies microseconds of the successful requests
   * @param errors failed requests by status code ("429", "503") or transport failure ("io", "timeout")
   * @param seconds from the first request's start to the last answer
   * @param kept the answers with samples kept, by request index
   * @param lastError the last failure, for messages
   * @param retryAfter the longest Retry-After of the failures, or null where none named one
   */
  record Outcome(Histogram latencies, long succeeded, Map<String, Long> errors, double seconds,
      long samples, long nfeTotal, Map<Long, ReceivedSamples> kept, ServiceException lastError,
      Duration retryAfter) {

    long failed() {
      return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    double meanNfe() {
      return succeeded == 0 ? Double.NaN : (double) nfeTotal / succeeded;
    }
  }

  private final ServiceClient client;
  private final String model;
  private final Backoff.Pause pause;

  LoadDriver(ServiceClient client, String model, Backoff.Pause pause) {
    this.client = client;
    this.model = model;
    this.pause = pause;
  }

  /** Runs the load; {@code progress} hears the fraction done, from the workers' threads. */
  Outcome run(RequestSource source, Load load, DoubleConsumer progress) {
    Recorder recorder = new Recorder(source);
    return load.rate() == null
        ? closedLoop(recorder, load, progress)
        : openLoop(recorder, load, progress);
  }

  /**
   * Sends the given request indices, {@code concurrency} at a time, and those that failed again,
   * in at most {@code rounds} rounds; returns the answers kept. Between rounds it waits as
   * {@link Backoff} says for the longest Retry-After the failures carried, so that a server that
   * rejects requests because it is overloaded (429) is not asked again at once.
   */
  Map<Long, ReceivedSamples> runUntilAnswered(RequestSource source, List<Long> indices,
      int concurrency, int rounds) {
    Map<Long, ReceivedSamples> kept = new HashMap<>();
    List<Long> missing = new ArrayList<>(indices);
    Backoff backoff = new Backoff(pause);
    for (int round = 1; !missing.isEmpty(); round++) {
      Outcome outcome = runIndices(source, missing, concurrency);
      kept.putAll(outcome.kept());
      missing.removeIf(kept::containsKey);
      if (missing.isEmpty() || round == rounds) {
        break;
      }
      try {
        backoff.await(outcome.retryAfter());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return kept;
  }

  /** Sends the given request indices, {@code concurrency} at a time, each once. */
  private Outcome runIndices(RequestSource source, List<Long> indices, int concurrency) {
    Recorder recorder = new Recorder(source);
    AtomicLong position = new AtomicLong();
    long start = System.nanoTime();
    inWorkers(concurrency, () -> {
      for (long p = position.getAndIncrement(); p < indices.size(); p = position.getAndIncrement()) {
        recorder.sendAndWait(indices.get((int) p));
      }
    });
    return recorder.outcome(start);
  }

  private Outcome closedLoop(Recorder recorder, Load load, DoubleConsumer progress) {
    AtomicLong next = new AtomicLong();
    AtomicLong done = new AtomicLong();
    long start = System.nanoTime();
    long end = load.duration() == null ? Long.MAX_VALUE : start + load.duration().toNanos();
    inWorkers(load.concurrency(), () -> {
      while (true) {
        long k = next.getAndIncrement();
        if (load.requests() != null ? k >= load.requests() : System.nanoTime() >= end) {
          return;
        }
        recorder.sendAndWait(k);
        progress.accept(fraction(load, start, done.incrementAndGet()));
      }
    });
    return recorder.outcome(start);
  }

  private Outcome openLoop(Recorder recorder, Load load, DoubleConsumer progress) {
    double interval = 1e9 / load.rate();
    long start = System.nanoTime();
    long end = load.duration() == null ? Long.MAX_VALUE : start + load.duration().toNanos();
    AtomicLong done = new AtomicLong();
    List<CompletableFuture<Void>> inFlight = new ArrayList<>();
    for (long k = 0; ; k++) {
      long due = start + Math.round(k * interval);
      if (load.requests() != null ? k >= load.requests() : due >= end) {
        break;
      }
      for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
        LockSupport.parkNanos(wait);
      }
      inFlight.add(recorder.send(k, due)
          .thenRun(() -> progress.accept(fraction(load, start, done.incrementAndGet()))));
    }
    CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).join();
    return recorder.outcome(start);
  }

  private static double fraction(Load load, long start, long done) {
    if (load.requests() != null) {
      return (double) done / load.requests();
    }
    return Math.min(1, (System.nanoTime() - start) / (double) load.duration().toNanos());
  }

  private static void inWorkers(int count, Runnable worker) {
    ExecutorService pool = Executors.newFixedThreadPool(count, runnable -> {
      Thread thread = new Thread(runnable, "loadtest-worker");
      thread.setDaemon(true);
      return thread;
    });
    List<CompletableFuture<Void>> workers = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      workers.add(CompletableFuture.runAsync(worker, pool));
    }
    try {
      CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).join();
    } finally {
      pool.shutdownNow();
    }
  }

  /** Thread-safe tally of one run. */
  private final class Recorder {
    private final RequestSource source;
    private final Histogram latencies = new ConcurrentHistogram(3);
    private final LongAdder succeeded = new LongAdder();
    private final LongAdder samples = new LongAdder();
    private final LongAdder nfe = new LongAdder();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final Map<Long, ReceivedSamples> kept = new ConcurrentHashMap<>();
    private final AtomicReference<ServiceException> lastError = new AtomicReference<>();
    private final AtomicLong retryAfterMillis = new AtomicLong(-1);
    private final AtomicLong lastAnswer = new AtomicLong();

    Recorder(RequestSource source) {
      this.source = source;
    }

    void sendAndWait(long k) {
      send(k, System.nanoTime()).join();
    }

    /** Sends request k; its latency counts from {@code since}. Never completes exceptionally. */
    CompletableFuture<Void> send(long k, long since) {
      boolean keep = source.keep(k);
      return client.sample(model, source.body(k), keep).handle((response, failure) -> {
        long now = System.nanoTime();
        lastAnswer.accumulateAndGet(now, Math::max);
        if (failure == null) {
          latencies.recordValue(Math.max(1, (now - since) / 1000));
          succeeded.increment();
          samples.add(response.count());
          nfe.add(response.nfe());
          if (keep) {
            kept.put(k, response);
          }
        } else {
          ServiceException error = ServiceClient.failure(failure);
          errors.computeIfAbsent(error.errorKey(), key -> new LongAdder()).increment();
          lastError.set(error);
          if (error.retryAfter() != null) {
            retryAfterMillis.accumulateAndGet(error.retryAfter().toMillis(), Math::max);
          }
        }
        return null;
      });
    }

    Outcome outcome(long start) {
      Map<String, Long> errorCounts = new TreeMap<>();
      errors.forEach((key, count) -> errorCounts.put(key, count.sum()));
      long last = Math.max(lastAnswer.get(), start);
      return new Outcome(latencies, succeeded.sum(), errorCounts, (last - start) / 1e9,
          samples.sum(), nfe.sum(), Map.copyOf(kept), lastError.get(),
          retryAfterMillis.get() < 0 ? null : Duration.ofMillis(retryAfterMillis.get()));
    }
  }
}
