package dev.streamline.service.config;

import ai.djl.Device;
import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Everything an operator sets, under {@code streamline.*}.
 *
 * @param device "cpu" or "gpu" (the first GPU); models and forward passes live there
 * @param modelDirs model directories, or directories whose sub-directories are model directories
 * @param modelPollInterval how often {@code modelDirs} are looked at for models added, removed or
 *     changed while serving; 0 (the default) loads them once, at start; at most a day
 * @param bundledModels serve the pretrained models inside the jar
 * @param analyticModels serve the closed-form Gaussian-mixture models
 * @param auth API keys; off by default
 */
@Validated
@ConfigurationProperties(prefix = "streamline")
public record StreamlineProperties(
    @DefaultValue("cpu") @Pattern(regexp = "cpu|gpu", message = "must be cpu or gpu") String device,
    @DefaultValue List<Path> modelDirs,
    @DefaultValue("0") @NotNull @DurationMin(nanos = 0, message = "must not be negative")
    @DurationMax(days = 1, message = "must be at most 1d") Duration modelPollInterval,
    @DefaultValue("true") boolean bundledModels,
    @DefaultValue("true") boolean analyticModels,
    @Valid @NotNull @DefaultValue Threads threads,
    @Valid @NotNull @DefaultValue Batching batching,
    @Valid @NotNull @DefaultValue Limits limits,
    @Valid @NotNull @DefaultValue Auth auth,
    @Valid @NotNull @DefaultValue Http http) {

  public Device djlDevice() {
    return "gpu".equals(device) ? Device.gpu() : Device.cpu();
  }

  /**
   * libtorch's thread pools. One intra-op thread per forward suits small machines serving many
   * concurrent requests: batching already fills the cores, and more threads per small forward
   * pass mostly add synchronisation (a 2-core machine trains our MLPs 15× faster on one thread).
   * Raise it for large models at low concurrency.
   */
  public record Threads(
      @DefaultValue("1") @Min(1) @Max(256) int intraOp,
      @DefaultValue("1") @Min(1) @Max(256) int interOp) {}

  /**
   * Step-level batching across requests. Both waits add to a request's latency, so more than 10 s
   * is a mistake; unbounded, a long one overflowed the nanosecond count it is kept in.
   *
   * @param maxBatchSize most rows in one forward pass; larger evaluations run in chunks of it
   * @param maxDelay how long the first pending evaluation waits for company
   * @param workers forward passes of one model that may run at once; 0 for one per
   *     {@code threads.intra-op} cores
   * @param mergeWindow how long a mergeable request waits for others to share its sampling run
   *     while the model is busy; 0 runs every request on its own
   */
  public record Batching(
      @DefaultValue("true") boolean enabled,
      @DefaultValue("256") @Min(1) @Max(65536) int maxBatchSize,
      @DefaultValue("2ms") @NotNull @DurationMin(nanos = 0, message = "must not be negative")
      @DurationMax(seconds = 10, message = "must be at most 10s") Duration maxDelay,
      @DefaultValue("0") @Min(0) @Max(256) int workers,
      @DefaultValue("10ms") @NotNull @DurationMin(nanos = 0, message = "must not be negative")
      @DurationMax(seconds = 10, message = "must be at most 10s") Duration mergeWindow) {}

  /** A duration as the configuration writes it: {@code 5s}, {@code 1500ms}. */
  public static String text(Duration duration) {
    return DurationStyle.SIMPLE.print(duration,
        duration.toMillis() % 1000 == 0 ? ChronoUnit.SECONDS : ChronoUnit.MILLIS);
  }

  /** {@code batching.workers}, with 0 resolved for this machine. */
  public int forwardWorkers() {
    if (batching.workers() > 0) {
      return batching.workers();
    }
    return Math.max(1, Runtime.getRuntime().availableProcessors() / threads.intraOp());
  }

  /**
   * @param maxSamples most samples (n) in one request
   * @param maxSteps most steps in one request
   * @param maxBodySize largest request body
   * @param queueCapacity sampling requests admitted at once; the next one gets 429
   * @param requestTimeout longest a sampling request may run before it gets 504; at most a day,
   *     which also keeps every deadline within the nanosecond clock's range
   * @param maxExactDimensions most dimensions a model may have for the exact divergence of a
   *     likelihood (one vector-Jacobian product per dimension); above it, Hutchinson's
   * @param maxCostSeconds most estimated compute of one request, in seconds: n × the most
   *     evaluations its sampler makes per sample × the model's time per row, as the warm-up
   *     timed it on this machine; a request over it gets 413 before it runs
   * @param clientSharePercent the part of {@code queueCapacity} one client (an API key, or an
   *     address when auth is off) may hold at once, in percent; past it the client gets 429
   *     while the other slots serve other clients
   */
  public record Limits(
      @DefaultValue("1024") @Min(1) int maxSamples,
      @DefaultValue("1000") @Min(1) int maxSteps,
      @DefaultValue("16MB") @NotNull DataSize maxBodySize,
      @DefaultValue("64") @Min(1) @Max(4096) int queueCapacity,
      @DefaultValue("60s") @NotNull @DurationMin(millis = 1, message = "must be positive")
      @DurationMax(days = 1, message = "must be at most 1d") Duration requestTimeout,
      @DefaultValue("64") @Min(1) @Max(4096) int maxExactDimensions,
      @DefaultValue("120") @Min(1) @Max(86400) int maxCostSeconds,
      @DefaultValue("50") @Min(1) @Max(100) int clientSharePercent) {

    /** Request slots one client may hold: its share of the queue, at least one. */
    public int slotsPerClient() {
      return Math.max(1, queueCapacity * clientSharePercent / 100);
    }

    /**
     * Under a byte, every request with a body would get 413 (and -1 would lift the codecs'
     * limit); the codecs hold a body in one array, so the limit must fit an int.
     */
    @AssertTrue(message = "must be between 1 and 2147483647 bytes")
    private boolean isMaxBodySize() {
      return maxBodySize == null
          || maxBodySize.toBytes() >= 1 && maxBodySize.toBytes() <= Integer.MAX_VALUE;
    }
  }

  /**
   * API keys. When enabled, every request but the actuator's health, info and prometheus (for
   * probes and scrapers) needs {@code Authorization: Bearer KEY} or {@code X-API-Key: KEY}.
   *
   * @param tokensFile the keys, one per line (blank lines and {@code #} comments skipped): a
   *     mounted Secret's file; read at start-up, so a changed key takes a restart
   */
  public record Auth(@DefaultValue("false") boolean enabled, Path tokensFile) {}

  /**
   * What a client's connection may take: time to send a request, and a share of the server.
   *
   * @param headerTimeout longest from a request's first byte to the end of its headers; then a
   *     408 and the connection closes
   * @param bodyTimeout longest pause in the arrival of a request body; then the connection closes
   * @param idleTimeout longest a connection stays open with no request on it
   * @param maxConnections most connections open at once; one more gets a 503 and is closed
   */
  public record Http(
      @DefaultValue("5s") @NotNull @DurationMin(millis = 1, message = "must be positive")
      @DurationMax(hours = 1, message = "must be at most 1h") Duration headerTimeout,
      @DefaultValue("10s") @NotNull @DurationMin(millis = 1, message = "must be positive")
      @DurationMax(hours = 1, message = "must be at most 1h") Duration bodyTimeout,
      @DefaultValue("60s") @NotNull @DurationMin(millis = 1, message = "must be positive")
      @DurationMax(days = 1, message = "must be at most 1d") Duration idleTimeout,
      @DefaultValue("1024") @Min(1) @Max(1048576) int maxConnections) {}
}
