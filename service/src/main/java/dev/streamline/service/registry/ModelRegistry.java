package dev.streamline.service.registry;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.streamline.models.store.BundledModels;
import dev.streamline.models.store.Conventions;
import dev.streamline.models.store.ModelManifest;
import dev.streamline.models.store.ModelStore;
import dev.streamline.models.torchscript.LatentAutoencoder;
import dev.streamline.sampler.Model;
import dev.streamline.sampler.NetworkConvention;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.Parameterization;
import dev.streamline.sampler.SamplerOptions;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SamplingLoop;
import dev.streamline.sampler.SamplingResult;
import dev.streamline.sampler.analytic.GaussianMixture;
import dev.streamline.sampler.analytic.GaussianMixtureModel;
import dev.streamline.service.batching.Deadline;
import dev.streamline.service.batching.ForwardBatcher;
import dev.streamline.service.batching.Network;
import dev.streamline.service.batching.Session;
import dev.streamline.service.config.StreamlineProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The models this instance serves. They load in the background after start-up, each followed by
 * one warm-up sample; until all are done the readiness probe says DOWN. A model that fails is
 * logged with its directory and reported by its id with a reason that names no path (health and
 * problem bodies are public), and the others are served regardless.
 *
 * <p>With {@code model-poll-interval} set, the model directories are looked at again on that
 * interval, on the same one thread that loaded them: a directory added is loaded and warmed up
 * before it serves; one removed is let go of, and freed after its last request; one whose files
 * changed is loaded anew and takes the old one's place in one step, between requests, the old
 * one finishing the requests that hold it. A change is acted on once the files have stayed the
 * same for one interval, so that a copy in progress is not loaded half-way. A reload that fails
 * leaves the old model serving and says why ({@link #reloadFailures}).
 *
 * <p>Directories of one id and different {@code version}s are served side by side; the newest
 * ({@link VersionOrder}) answers for the id.
 */
@Component
public class ModelRegistry implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);

  private final StreamlineProperties properties;
  private final MeterRegistry meters;
  /** The served models by id (in the order they came), then by version, oldest first. */
  private final Map<String, TreeMap<String, ServedModel>> served = new LinkedHashMap<>();
  /** Every model not freed yet: served, or let go of and finishing its requests. */
  private final Set<ServedModel> live = ConcurrentHashMap.newKeySet();
  private final Map<String, String> failures = new ConcurrentHashMap<>();
  /** Failures of model directories whose model.json declares no id, by directory. */
  private final Map<Path, String> anonymousFailures = new ConcurrentHashMap<>();
  /** Directories declaring an id (and version) served from another, by directory: the label. */
  private final Map<Path, String> duplicates = new ConcurrentHashMap<>();
  /** The model tag of a failure without an id. */
  static final String UNIDENTIFIED = "unidentified";
  /** Rows of the passes that time a model's cost per row. */
  private static final int TIMED_ROWS = 64;
  /** What each model directory held when last acted on; written by the models thread only. */
  private final Map<Path, Watched> watched = new ConcurrentHashMap<>();
  /** Directories seen changed once, with what was seen: acted on if the next look agrees. */
  private final Map<Path, Optional<Contents>> changing = new LinkedHashMap<>();
  private volatile boolean loaded;
  private volatile boolean running;
  private volatile boolean closing;
  private NDManager manager;
  private Path bundledDirectory;
  /** Loads, looks at the directories and frees models: one thread, so none of it overlaps. */
  private ScheduledExecutorService models;
  /** The looks at the directories, while running; null when not. */
  private ScheduledFuture<?> polling;

  public ModelRegistry(StreamlineProperties properties, MeterRegistry meters) {
    this.properties = properties;
    this.meters = meters;
  }

  /**
   * A model directory's files as last acted on (null: it was not there), what serves from it,
   * and why it does not.
   */
  private record Watched(Contents files, ServedModel model, String failedAs,
      String reloadFailure) {}

  /**
   * What a model directory holds, to tell a change: its model.json, and every file's size and
   * time of change. Null fields: the directory could not be read.
   */
  private record Contents(String manifest, List<Stamp> stamps) {}

  private record Stamp(String path, long size, FileTime modified) {}

  /** The newest version of a ready model, or empty for an id unknown, still loading or failed. */
  public Optional<ServedModel> find(String id) {
    return find(id, null);
  }

  /** A ready model of this version, or the newest for a null version. */
  public Optional<ServedModel> find(String id, String version) {
    synchronized (served) {
      TreeMap<String, ServedModel> versions = served.get(id);
      if (versions == null) {
        return Optional.empty();
      }
      return Optional.ofNullable(version == null ? versions.lastEntry().getValue()
          : versions.get(version));
    }
  }

  /**
   * {@link #find}, held for a request: it stays open until {@link ServedModel#release}, though
   * it be removed or replaced meanwhile.
   */
  public Optional<ServedModel> hold(String id, String version) {
    while (true) {
      Optional<ServedModel> found = find(id, version);
      if (found.isEmpty() || found.get().hold()) {
        return found;
      }
      // Let go of by the registry between the look-up and the hold: the map has moved on.
    }
  }

  /** Every served model, each version of an id. */
  public List<ServedModel> all() {
    synchronized (served) {
      return served.values().stream().flatMap(v -> v.values().stream()).toList();
    }
  }

  /** The newest version of each served id. */
  public List<ServedModel> newest() {
    synchronized (served) {
      return served.values().stream().map(v -> v.lastEntry().getValue()).toList();
    }
  }

  /** The versions of an id served now, oldest first; empty for none or an unversioned model. */
  public List<String> versions(String id) {
    synchronized (served) {
      TreeMap<String, ServedModel> versions = served.get(id);
      return versions == null ? List.of()
          : versions.keySet().stream().filter(Objects::nonNull).toList();
    }
  }

  /** What a client is told of an id or version that is not served: what is. */
  public String unknown(String id, String version) {
    List<String> versions = versions(id);
    if (version != null && find(id).isPresent()) {
      return "model '" + id + "' has no version '" + version + "'; "
          + (versions.isEmpty() ? "it is served without a version"
              : "served versions: " + versions);
    }
    return "no model '" + id + "'; served: " + newest().stream().map(m -> m.info().id()).toList();
  }

  /** Models that failed to load and are not served, by id, with the reason. */
  public Map<String, String> failures() {
    return Map.copyOf(failures);
  }

  /** Why models without an id to report them by (or the engine) failed. */
  public List<String> anonymousFailures() {
    return anonymousFailures.values().stream().sorted().toList();
  }

  /** Served ids (with a version, when they have one) that another directory declared too. */
  public Map<String, String> duplicates() {
    Map<String, String> out = new TreeMap<>();
    duplicates.values().forEach(label ->
        out.put(label, "declared again by another model directory, which is not served"));
    return out;
  }

  /** Models serving from their previous files because loading the new ones failed, and why. */
  public Map<String, String> reloadFailures() {
    Map<String, String> out = new TreeMap<>();
    watched.values().stream().filter(w -> w.reloadFailure() != null)
        .forEach(w -> out.put(w.model().info().label(), w.reloadFailure()));
    return out;
  }

  /** True once every configured model has loaded or failed. */
  public boolean isLoaded() {
    return loaded;
  }

  /**
   * Loads once; a context that stops and starts again (Spring's test cache pauses them) keeps its
   * models, and looks at their directories only while it runs.
   */
  @Override
  public synchronized void start() {
    running = true;
    if (models == null) {
      models = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "models");
        thread.setDaemon(true);
        return thread;
      });
      models.execute(this::loadAll);
    }
    long every = properties.modelPollInterval().toNanos();
    if (polling == null && every > 0 && !properties.modelDirs().isEmpty()) {
      polling = models.scheduleWithFixedDelay(this::poll, every, every, TimeUnit.NANOSECONDS);
    }
  }

  private void loadAll() {
    // libtorch reads its thread counts once, when the engine starts.
    System.setProperty("ai.djl.pytorch.num_threads",
        Integer.toString(properties.threads().intraOp()));
    System.setProperty("ai.djl.pytorch.num_interop_threads",
        Integer.toString(properties.threads().interOp()));
    try {
      manager = NDManager.newBaseManager(properties.djlDevice());
      // In place of the engine's own start-up lines, which call the graph optimizer on: that is
      // libtorch's global default, which every TorchScript forward here sets per thread.
      log.info("{} {} on {}: {} intra-op and {} inter-op threads; TorchScript graph optimizer"
          + " off unless a model's optimizeGraph asks for it", manager.getEngine().getEngineName(),
          manager.getEngine().getVersion(), manager.getDevice(), properties.threads().intraOp(),
          properties.threads().interOp());
      for (Candidate candidate : candidates()) {
        if (closing) {
          return;
        }
        load(candidate);
      }
      sync(false);
    } catch (RuntimeException | Error e) {
      log.error("model loading stopped: {}", e.getMessage(), e);
      anonymousFailures.put(Path.of(""), "the engine failed: " + PublicReason.of(e, null));
    } finally {
      loaded = true;
    }
    log.info("serving {} model(s) {}; failed: {}", all().size(),
        all().stream().map(m -> m.info().label()).toList(),
        failures.isEmpty() ? "none" : failures);
  }

  /** One look at the model directories; nothing it meets may end the looking. */
  private void poll() {
    if (manager == null || closing) {
      return;
    }
    try {
      sync(true);
    } catch (Throwable e) {
      log.error("looking at the model directories failed: {}", e.getMessage(), e);
    }
  }

  /** Something to load under an id: loading yields the model, its description and its weights. */
  private record Candidate(String id, Supplier<Loaded> load) {}

  /** @param autoencoder a latent model's decoder, or null */
  private record Loaded(ModelInfo info, Model model, AutoCloseable weights,
      LatentAutoencoder autoencoder) {}

  /** The analytic and bundled models: loaded once. */
  private List<Candidate> candidates() {
    List<Candidate> out = new ArrayList<>();
    if (properties.analyticModels()) {
      out.add(new Candidate("analytic-gmm-flow", () -> analytic("analytic-gmm-flow", "flow",
          new NoiseProcess.LinearInterpolant(), Parameterization.VELOCITY, "heun")));
      out.add(new Candidate("analytic-gmm-vp", () -> analytic("analytic-gmm-vp", "diffusion",
          new NoiseProcess.VpLinear(), Parameterization.EPSILON, "dpmpp-2m")));
    }
    if (properties.bundledModels()) {
      for (String id : BundledModels.ids()) {
        out.add(new Candidate(id, () -> stored(BundledModels.extract(id, bundledDirectory()))));
      }
    }
    return out;
  }

  /**
   * Brings the served models in step with the model directories: removals first (so that a
   * directory renamed takes its own place), then additions and changes.
   *
   * @param settle act on a change only when the last look saw it too
   */
  private void sync(boolean settle) {
    // A configured directory that is not there is seen as null: gone if it served, else a
    // failure to load, as at start.
    Map<Path, Contents> seen = new LinkedHashMap<>();
    for (Path root : properties.modelDirs()) {
      for (Path directory : modelDirectories(root)) {
        seen.put(directory, Files.isDirectory(directory) ? contents(directory) : null);
      }
    }
    Set<Path> paths = new LinkedHashSet<>(watched.keySet());
    paths.removeAll(seen.keySet());
    paths.addAll(seen.keySet());
    changing.keySet().retainAll(paths);
    for (Path path : paths) {
      if (closing) {
        return;
      }
      Contents now = seen.get(path);
      Watched before = watched.get(path);
      if (before != null && Objects.equals(now, before.files())) {
        changing.remove(path);
        continue;
      }
      Optional<Contents> change = Optional.ofNullable(now);
      if (settle && !change.equals(changing.put(path, change))) {
        continue;
      }
      changing.remove(path);
      if (now == null && before != null) {
        unload(path, before);
      } else {
        load(path, now, before);
      }
    }
  }

  /** The directory itself when it holds a model.json, else its sub-directories but hidden ones. */
  private static List<Path> modelDirectories(Path root) {
    if (!Files.isDirectory(root)
        || Files.isRegularFile(root.resolve(ModelStore.MANIFEST))) {
      return List.of(root);
    }
    // ModelStore.save writes a hidden sibling and renames it into place.
    try (Stream<Path> children = Files.list(root)) {
      return children.filter(Files::isDirectory)
          .filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
    } catch (IOException e) {
      return List.of(root);
    }
  }

  private static Contents contents(Path directory) {
    try (Stream<Path> walk = Files.walk(directory)) {
      List<Stamp> stamps = new ArrayList<>();
      for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
        stamps.add(new Stamp(directory.relativize(file).toString(),
            Files.size(file), Files.getLastModifiedTime(file)));
      }
      Path manifest = directory.resolve(ModelStore.MANIFEST);
      return new Contents(Files.isRegularFile(manifest)
          ? Files.readString(manifest) : "", stamps);
    } catch (IOException | UncheckedIOException e) {
      return new Contents(null, null);
    }
  }

  private Path bundledDirectory() {
    if (bundledDirectory == null) {
      try {
        bundledDirectory = Files.createTempDirectory("streamline-models");
      } catch (IOException e) {
        throw new IllegalStateException("cannot create a temporary directory for the bundled"
            + " models: " + e.getMessage(), e);
      }
    }
    return bundledDirectory;
  }

  private Loaded analytic(String id, String kind, NoiseProcess process, Parameterization p,
      String sampler) {
    GaussianMixture mixture = GaussianMixture.standard2d();
    Conventions conventions = new Conventions(kind, process, Map.of(),
        NetworkConvention.plain(p), sampler, 32, SamplerOptions.DEFAULT, null);
    ModelInfo info = new ModelInfo(id, null, List.of(), kind, process.id(), p.id(),
        List.of(mixture.dimension()), List.of(), sampler, 32, null,
        new ModelInfo.Target(mixture.weights(), mixture.means(), mixture.covariances()),
        conventions.describe(), null);
    return new Loaded(info, new GaussianMixtureModel(mixture, process, p), null, null);
  }

  private Loaded stored(Path directory) {
    ModelStore.Loaded loaded = ModelStore.load(directory, manager);
    ModelManifest m = loaded.manifest();
    Conventions c = loaded.conventions();
    LatentAutoencoder a = loaded.autoencoder();
    ModelInfo.Latent latent = a == null ? null : new ModelInfo.Latent(
        Arrays.stream(a.dataShape().getShape()).mapToObj(d -> (int) d).toList(),
        a.scalingFactor(), a.shiftFactor(), a.canEncode());
    ModelInfo info = new ModelInfo(m.id(), m.version(), List.of(), c.kind(), c.process().id(),
        c.network().parameterization().id(), m.shape(), m.classes(), c.defaultSampler(),
        c.defaultSteps(), m.training() == null ? null : m.training().dataset(), null,
        c.describe(), latent);
    return new Loaded(info, loaded.model(), loaded, a);
  }

  /** An analytic or bundled model, served or failed. */
  private void load(Candidate candidate) {
    long started = System.nanoTime();
    try {
      ServedModel model = start(candidate.load().get(), null);
      swap(null, model);
      count(Event.LOADED, model.info().id());
      logReady(model, started);
    } catch (RuntimeException e) {
      fail(candidate.id(), null, e);
    }
  }

  /**
   * A model directory new or changed (or configured and not there, which fails): served in place
   * of what served from it, or failed.
   */
  private void load(Path directory, Contents files, Watched before) {
    long started = System.nanoTime();
    ServedModel old = before == null ? null : before.model();
    if (before != null && before.failedAs() != null) {
      failures.remove(before.failedAs());
    }
    anonymousFailures.remove(directory);
    duplicates.remove(directory);
    ServedModel model;
    try {
      model = start(stored(directory), old);
    } catch (DuplicateId e) {
      // The id is served (from elsewhere): reported as a duplicate, not as a failure of the id.
      duplicates.put(directory, e.label);
      log.error("model directory {} is not served: {}", directory.toAbsolutePath(),
          e.getMessage());
      watched.put(directory, new Watched(files, old, null, null));
      return;
    } catch (RuntimeException e) {
      String reason = PublicReason.of(e, directory);
      if (old == null) {
        String id = ModelStore.declaredId(directory).orElse(null);
        fail(id, directory, e);
        watched.put(directory, new Watched(files, null, id, null));
      } else {
        count(Event.FAILED, old.info().id());
        log.warn("model {} keeps serving its previous files: loading the new files of {}"
            + " failed: {}", old.info().label(), directory, reason(e));
        watched.put(directory, new Watched(files, old, null, reason));
      }
      return;
    }
    swap(old, model);
    watched.put(directory, new Watched(files, model, null, null));
    if (old == null) {
      count(Event.LOADED, model.info().id());
      logReady(model, started);
    } else {
      count(Event.RELOADED, model.info().id());
      log.info("model {} reloaded from {} in {} ms, replacing {}; the previous files are freed"
          + " after their last request", model.info().label(), directory, millisSince(started),
          old.info().label());
    }
  }

  /** A model directory gone: its model is let go of, and freed after its last request. */
  private void unload(Path directory, Watched before) {
    watched.remove(directory);
    if (before.failedAs() != null) {
      failures.remove(before.failedAs());
    }
    anonymousFailures.remove(directory);
    duplicates.remove(directory);
    if (before.model() != null) {
      swap(before.model(), null);
      count(Event.UNLOADED, before.model().info().id());
      log.info("model {} unloaded: {} is gone; it is freed after its last request",
          before.model().info().label(), directory);
    }
  }

  /**
   * A model's batchers started and warmed up, counted as live; closed again if another model has
   * its id and version, or the warm-up fails.
   *
   * @param replacing the model it is to take the place of, or null
   */
  private ServedModel start(Loaded loaded, ServedModel replacing) {
    ModelInfo info = loaded.info();
    String id = info.id();
    ServedModel model = new ServedModel(info, loaded.model(),
        batcher(id, Network.of(loaded.model())), batcher(id, Network.trace(loaded.model())),
        loaded.autoencoder() == null ? null
            : batcher(id, Network.decoder(loaded.autoencoder())), loaded.weights(),
        this::unused);
    live.add(model);
    try {
      ServedModel other = exact(id, info.version());
      if (other != null && other != replacing) {
        throw new DuplicateId(info.label(), "another model already has the id '" + id + "'"
            + (info.version() == null ? "" : " and the version '" + info.version() + "'"));
      }
      warmUp(model);
      model.costing(secondsPerRow(model.batcher()));
    } catch (RuntimeException e) {
      free(model);
      throw e;
    }
    return model;
  }

  private ServedModel exact(String id, String version) {
    synchronized (served) {
      TreeMap<String, ServedModel> versions = served.get(id);
      return versions == null ? null : versions.get(version);
    }
  }

  /**
   * One step for the requests: {@code old} (if any) no longer served, {@code model} (if any)
   * served; then the registry lets go of the old one.
   */
  private void swap(ServedModel old, ServedModel model) {
    synchronized (served) {
      if (old != null) {
        TreeMap<String, ServedModel> versions = served.get(old.info().id());
        versions.remove(old.info().version());
        if (versions.isEmpty()) {
          served.remove(old.info().id());
        }
      }
      if (model != null) {
        served.computeIfAbsent(model.info().id(), id -> new TreeMap<>(VersionOrder.OLDEST_FIRST))
            .put(model.info().version(), model);
      }
    }
    if (model != null) {
      registerDepths(model);
    }
    if (old != null) {
      old.release();
    }
  }

  /** The requests in flight on each of a model's stages, over all its versions and generations. */
  private void registerDepths(ServedModel model) {
    String id = model.info().id();
    for (ForwardBatcher batcher : model.batchers()) {
      Network.Stage stage = batcher.network().stage();
      Gauge.builder(stage.depthMeter(), () -> live.stream()
              .filter(m -> m.info().id().equals(id))
              .flatMap(m -> m.batchers().stream())
              .filter(b -> b.network().stage() == stage)
              .mapToInt(ForwardBatcher::requests).sum())
          .description("Sampling requests in flight on the model's " + stage.id())
          .tag("model", id)
          .register(meters);
    }
  }

  /** What happens to models, each counted by model id. */
  private enum Event {
    LOADED("streamline.model.loads", "Models loaded and serving, at start or added since"),
    RELOADED("streamline.model.reloads",
        "Models whose directory changed, serving the new files in place of the old"),
    UNLOADED("streamline.model.unloads", "Models whose directory was removed, unloaded"),
    FAILED("streamline.model.load.failures",
        "Model loads and reloads that failed; a failed reload leaves the old files serving");

    final String meter;
    final String description;

    Event(String meter, String description) {
      this.meter = meter;
      this.description = description;
    }
  }

  private void count(Event event, String id) {
    Counter.builder(event.meter).description(event.description).tag("model", id)
        .register(meters).increment();
  }

  /** A model let go of by all: freed on the models thread, off the request that let go last. */
  private void unused(ServedModel model) {
    try {
      models.execute(() -> free(model));
    } catch (RejectedExecutionException e) {
      free(model);
    }
  }

  private void free(ServedModel model) {
    live.remove(model);
    try {
      model.close();
    } catch (Exception e) {
      log.warn("closing model {} failed: {}", model.info().label(), e.getMessage());
    }
  }

  private ForwardBatcher batcher(String id, Network network) {
    StreamlineProperties.Batching batching = properties.batching();
    return new ForwardBatcher(id, network, properties.djlDevice(), batching.enabled(),
        batching.maxBatchSize(), batching.maxDelay(), properties.forwardWorkers(), meters);
  }

  /** One sample through the whole path, so the first request does not pay for lazy set-up. */
  private void warmUp(ServedModel served) {
    ModelInfo info = served.info();
    calibrate(served.batcher(), info.id());
    Deadline deadline = Deadline.after(Duration.ofMinutes(5));
    try (NDManager scratch = manager.newSubManager();
        Session session = served.open(deadline, 0)) {
      SamplingResult sample = SamplingLoop.sample(session,
          SamplingJob.of(info.defaultSampler(), info.defaultSteps(), 1, 0), scratch);
      if (served.decoder() != null) {
        calibrate(served.decoder(), info.id());
        served.decode(sample.samples().toFloatArray(), 1, scratch, deadline, 0);
      }
    }
  }

  private void calibrate(ForwardBatcher batcher, String id) {
    if (!batcher.calibrate(manager)) {
      log.warn("model {}: on this machine a {} pass of a few rows does not give each row"
          + " bitwise what a wider pass gives; every pass is padded to max-batch-size ({} rows),"
          + " so results do not depend on batching, at the price of speed", id,
          batcher.network().stage().id(),
          properties.batching().maxBatchSize());
    }
  }

  /** A model another serves the id (and version) of. */
  private static final class DuplicateId extends IllegalArgumentException {
    private final String label;

    DuplicateId(String label, String message) {
      super(message);
      this.label = label;
    }
  }

  /**
   * Logs the whole reason with the directory; health and 503 details get it without paths, under
   * the model's id, or (a model.json that gives none) without one.
   *
   * @param id the model's id, or null when its model.json gives none
   * @param directory where it was read from, or null for a model inside the jar
   */
  private void fail(String id, Path directory, RuntimeException e) {
    String reason = PublicReason.of(e, directory);
    if (id == null) {
      anonymousFailures.put(directory, reason);
    } else {
      failures.put(id, reason);
    }
    count(Event.FAILED, id == null ? UNIDENTIFIED : id);
    log.error("model {} from {} failed to load: {}", id == null ? "without an id" : id,
        directory == null ? "the jar" : directory.toAbsolutePath(), reason(e));
  }

  /**
   * One row's share of a pass of {@value #TIMED_ROWS} rows (or max-batch-size, when smaller):
   * the fastest of three, after the warm-up, so that no lazy set-up or passing hiccup counts.
   */
  private double secondsPerRow(ForwardBatcher batcher) {
    int rows = Math.min(TIMED_ROWS, properties.batching().maxBatchSize());
    Network network = batcher.network();
    Deadline deadline = Deadline.after(Duration.ofMinutes(5));
    long fastest = Long.MAX_VALUE;
    try (NDManager scratch = manager.newSubManager()) {
      NDArray x = scratch.randomNormal(new Shape(rows).addAll(network.input()));
      NDArray t = scratch.full(new Shape(rows),
          (float) ((network.timeFrom() + network.timeTo()) / 2));
      // A class-conditional network is timed on class 0, which every one of them has.
      int[] labels = network.classCount() > 0 ? new int[rows] : null;
      for (int i = 0; i < 3; i++) {
        long started = System.nanoTime();
        batcher.run(x, t, labels, deadline, 0).toFloatArray();
        fastest = Math.min(fastest, System.nanoTime() - started);
      }
    }
    return fastest / 1e9 / rows;
  }

  private static String reason(RuntimeException e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static void logReady(ServedModel model, long started) {
    log.info("model {} ready in {} ms; {} µs per row of a pass", model.info().label(),
        millisSince(started),
        String.format(java.util.Locale.ROOT, "%.2f", model.secondsPerRow() * 1e6));
  }

  private static long millisSince(long started) {
    return (System.nanoTime() - started) / 1_000_000;
  }

  @Override
  public synchronized void stop() {
    running = false;
    if (polling != null) {
      polling.cancel(false);
      polling = null;
    }
  }

  /**
   * Closes the models when the context closes, after the web server has drained: the served ones
   * and those still finishing requests.
   */
  @PreDestroy
  public void close() {
    closing = true;
    if (models != null) {
      models.shutdown();
      try {
        models.awaitTermination(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    List.copyOf(live).forEach(this::free);
    synchronized (served) {
      served.clear();
    }
    if (manager != null) {
      manager.close();
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }
}
