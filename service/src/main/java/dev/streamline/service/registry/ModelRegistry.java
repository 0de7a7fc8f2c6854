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
import dev.streamline.sampler.SamplerOptions;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.Parameterization;
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
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import jakarta.annotation.PreDestroy;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The models this instance serves. They load in the background after start-up, each followed by
 * one warm-up sample; until all are done the readiness probe says DOWN. A model that fails is
 * logged with its directory and reported by its id with a reason that names no path (health and
 * problem bodies are public), and the others are served regardless.
 */
@Component
public class ModelRegistry implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);
  /** Rows of the passes that time a model's cost per row. */
  private static final int TIMED_ROWS = 64;

  private final StreamlineProperties properties;
  private final MeterRegistry meters;
  private final Map<String, ServedModel> models = Collections.synchronizedMap(new LinkedHashMap<>());
  private final Map<String, String> failures = Collections.synchronizedMap(new LinkedHashMap<>());
  /** Failures of model directories whose model.json declares no id, and of the engine. */
  private final List<String> anonymousFailures = Collections.synchronizedList(new ArrayList<>());
  /** Ids declared again by a later model, which is not served, with the reason. */
  private final Map<String, String> duplicates = Collections.synchronizedMap(new LinkedHashMap<>());
  private volatile boolean loaded;
  private volatile boolean running;
  private volatile boolean closing;
  private NDManager manager;
  private Path bundledDirectory;
  private Thread loader;

  public ModelRegistry(StreamlineProperties properties, MeterRegistry meters) {
    this.properties = properties;
    this.meters = meters;
  }

  /** A ready model, or empty for an id that is unknown, still loading or failed. */
  public Optional<ServedModel> find(String id) {
    return Optional.ofNullable(models.get(id));
  }

  public List<ServedModel> all() {
    synchronized (models) {
      return List.copyOf(models.values());
    }
  }

  /** Models that failed to load and are not served, by id, with the reason. */
  public Map<String, String> failures() {
    synchronized (failures) {
      return Map.copyOf(failures);
    }
  }

  /** Why models without an id to report them by (or the engine) failed. */
  public List<String> anonymousFailures() {
    synchronized (anonymousFailures) {
      return List.copyOf(anonymousFailures);
    }
  }

  /** Served ids that another model declared too, with why that one is not served. */
  public Map<String, String> duplicates() {
    synchronized (duplicates) {
      return Map.copyOf(duplicates);
    }
  }

  /** True once every configured model has loaded or failed. */
  public boolean isLoaded() {
    return loaded;
  }

  /** Loads once; a context that stops and starts again (Spring's test cache pauses them) keeps its models. */
  @Override
  public synchronized void start() {
    running = true;
    if (loader == null) {
      loader = new Thread(this::loadAll, "model-loader");
      loader.setDaemon(true);
      loader.start();
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
      for (Candidate candidate : candidates()) {
        if (closing) {
          return;
        }
        load(candidate);
      }
    } catch (RuntimeException | Error e) {
      log.error("model loading stopped: {}", e.getMessage(), e);
      anonymousFailures.add("the engine failed: " + PublicReason.of(e, null));
    } finally {
      loaded = true;
    }
    log.info("serving {} model(s) {}; failed: {}", models.size(), models.keySet(),
        failures.isEmpty() && anonymousFailures.isEmpty() ? "none"
            : failures.keySet() + " and " + anonymousFailures.size() + " without an id");
  }

  /**
   * Something to load: loading yields the model, its description and its weights.
   *
   * @param id the id it declares, or null when its model.json gives none
   * @param directory where it is read from, or null for a model inside the jar
   */
  private record Candidate(String id, Path directory, Supplier<Loaded> load) {}

  /** @param autoencoder a latent model's decoder, or null */
  private record Loaded(ModelInfo info, Model model, AutoCloseable weights,
      LatentAutoencoder autoencoder) {}

  private List<Candidate> candidates() {
    List<Candidate> out = new ArrayList<>();
    if (properties.analyticModels()) {
      out.add(new Candidate("analytic-gmm-flow", null, () -> analytic("analytic-gmm-flow", "flow",
          new NoiseProcess.LinearInterpolant(), Parameterization.VELOCITY, "heun")));
      out.add(new Candidate("analytic-gmm-vp", null, () -> analytic("analytic-gmm-vp", "diffusion",
          new NoiseProcess.VpLinear(), Parameterization.EPSILON, "dpmpp-2m")));
    }
    if (properties.bundledModels()) {
      for (String id : BundledModels.ids()) {
        out.add(new Candidate(id, null,
            () -> stored(BundledModels.extract(id, bundledDirectory()))));
      }
    }
    for (Path root : properties.modelDirs()) {
      for (Path directory : modelDirectories(root)) {
        out.add(new Candidate(ModelStore.declaredId(directory).orElse(null), directory,
            () -> stored(directory)));
      }
    }
    return out;
  }

  /** The directory itself when it holds a model.json, else its sub-directories. */
  private static List<Path> modelDirectories(Path root) {
    if (!Files.isDirectory(root) || Files.isRegularFile(root.resolve(ModelStore.MANIFEST))) {
      return List.of(root);
    }
    try (Stream<Path> children = Files.list(root)) {
      return children.filter(Files::isDirectory).sorted().toList();
    } catch (IOException e) {
      return List.of(root);
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
    ModelInfo info = new ModelInfo(id, kind, process.id(), p.id(),
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
    ModelInfo info = new ModelInfo(m.id(), c.kind(), c.process().id(),
        c.network().parameterization().id(), m.shape(), m.classes(), c.defaultSampler(),
        c.defaultSteps(), m.training() == null ? null : m.training().dataset(), null,
        c.describe(), latent);
    return new Loaded(info, loaded.model(), loaded, a);
  }

  private void load(Candidate candidate) {
    long started = System.nanoTime();
    Loaded loaded;
    try {
      loaded = candidate.load().get();
    } catch (RuntimeException e) {
      fail(candidate, candidate.id(), e);
      return;
    }
    String id = loaded.info().id();
    if (models.containsKey(id)) {
      if (loaded.weights() != null) {
        closeQuietly(loaded.weights());
      }
      String reason = "declared again by another model, which is not served";
      duplicates.put(id, reason);
      log.error("model {} from {}: {}", id, candidate.directory(), reason);
      return;
    }
    ServedModel served = new ServedModel(loaded.info(), loaded.model(),
        batcher(id, Network.of(loaded.model())), batcher(id, Network.trace(loaded.model())),
        loaded.autoencoder() == null ? null
            : batcher(id, Network.decoder(loaded.autoencoder())), loaded.weights(), 0);
    try {
      warmUp(served);
      served = served.costing(secondsPerRow(served.batcher()));
    } catch (RuntimeException e) {
      closeQuietly(served);
      fail(candidate, id, e);
      return;
    }
    models.put(id, served);
    log.info("model {} ready in {} ms; {} µs per row of a pass", id,
        (System.nanoTime() - started) / 1_000_000,
        String.format(java.util.Locale.ROOT, "%.2f", served.secondsPerRow() * 1e6));
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

  private void calibrate(ForwardBatcher batcher, String id) {
    if (!batcher.calibrate(manager)) {
      log.warn("model {}: on this machine a {} pass of a few rows does not give each row"
          + " bitwise what a wider pass gives; every pass is padded to max-batch-size ({} rows),"
          + " so results do not depend on batching, at the price of speed", id,
          batcher.network().stage().id(),
          properties.batching().maxBatchSize());
    }
  }

  /** Logs the whole reason; health and 503 details get it without paths. */
  private void fail(Candidate candidate, String id, RuntimeException e) {
    String reason = PublicReason.of(e, candidate.directory());
    if (id == null) {
      anonymousFailures.add(reason);
    } else {
      failures.put(id, reason);
    }
    log.error("model {} from {} failed to load: {}", id == null ? "without an id" : id,
        candidate.directory() == null ? "the jar" : candidate.directory().toAbsolutePath(),
        e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      log.warn("closing failed: {}", e.getMessage());
    }
  }

  @Override
  public void stop() {
    running = false;
  }

  /** Closes the models when the context closes, after the web server has drained. */
  @PreDestroy
  public void close() {
    closing = true;
    if (loader != null) {
      try {
        loader.join(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    all().forEach(ModelRegistry::closeQuietly);
    models.clear();
    if (manager != null) {
      manager.close();
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

}
