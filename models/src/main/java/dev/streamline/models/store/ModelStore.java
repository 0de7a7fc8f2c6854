package dev.streamline.models.store;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.streamline.models.nn.MlpVectorField;
import dev.streamline.models.nn.NetworkModel;
import dev.streamline.models.nn.UNetVectorField;
import dev.streamline.models.torchscript.LatentAutoencoder;
import dev.streamline.models.torchscript.TorchScriptModel;
import dev.streamline.sampler.Model;
import dev.streamline.sampler.NetworkConvention;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.Parameterization;
import dev.streamline.sampler.SamplerCatalog;
import dev.streamline.sampler.SamplerOptions;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.JacksonIOException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads and writes model directories: {@code model.json} plus weights. Loading validates every
 * field and the weights themselves (a probe evaluation must give the sample shape back) and
 * either returns a working model or throws a {@link ModelStoreException} naming the file and
 * problem, with nothing left open. Saving writes a sibling temporary directory and moves it into
 * place, so a reader never sees a half-written model.
 */
public final class ModelStore {

  public static final String MANIFEST = "model.json";
  public static final String NETWORK_WEIGHTS = "weights.params";

  /** What a model id may look like: it names the model in URLs and directories. */
  private static final String ID_PATTERN = "[a-z0-9][a-z0-9.-]*";
  /** What a version may look like: it names the version in URLs ({@code /versions/{v}}). */
  private static final String VERSION_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";

  /**
   * Jackson 2's defaults (unknown fields fail, fields in declaration order), which the model.json
   * files in use were written and read with.
   */
  private static final ObjectMapper JSON = JsonMapper.builderWithJackson2Defaults()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .build();

  private ModelStore() {}

  /**
   * A loaded model: its manifest and what answers for it. Closing it frees the weights (they are
   * also freed with the manager the model was loaded into).
   *
   * @param autoencoder a latent model's decoder (and encoder), or null
   */
  public record Loaded(ModelManifest manifest, Conventions conventions, Model model,
      AutoCloseable weights, LatentAutoencoder autoencoder) implements AutoCloseable {

    Loaded(ModelManifest manifest, Conventions conventions, Model model, AutoCloseable weights) {
      this(manifest, conventions, model, weights, null);
    }

    @Override
    public void close() {
      try (LatentAutoencoder latent = autoencoder) {
        weights.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing " + manifest.id() + " failed", e);
      }
    }
  }

  public static ModelManifest readManifest(Path directory) {
    Path file = directory.resolve(MANIFEST);
    ModelManifest manifest = readJson(file, f -> JSON.readValue(f, ModelManifest.class));
    try {
      validate(manifest);
    } catch (IllegalArgumentException e) {
      throw new ModelStoreException(file + ": " + e.getMessage());
    }
    return manifest;
  }

  static void validate(ModelManifest m) {
    checkId(m.id());
    require(m.version() == null || m.version().matches(VERSION_PATTERN), "version must be 1 to"
        + " 64 letters, digits, '.', '_' and '-', starting with a letter or digit, got '"
        + m.version() + "'");
    String orScheduler = " (or name a diffusers scheduler config in \"scheduler\")";
    require(m.kind() != null || m.scheduler() != null, "kind is missing" + orScheduler);
    require(m.kind() == null || "flow".equals(m.kind()) || "diffusion".equals(m.kind()),
        "kind must be 'flow' or 'diffusion', got " + m.kind());
    require(m.process() != null || m.scheduler() != null, "process is missing" + orScheduler);
    if (m.process() != null) {
      m.process().toProcess();
    }
    require(m.parameterization() != null || m.scheduler() != null,
        "parameterization is missing" + orScheduler);
    if (m.parameterization() != null) {
      Parameterization.fromId(m.parameterization());
    }
    require(m.architecture() != null && m.architecture().type() != null,
        "architecture.type is missing");
    require(m.architecture().weights() != null, "architecture.weights is missing");
    boolean torchScript = "torchscript".equals(m.architecture().type());
    require(m.scheduler() == null || torchScript, "scheduler applies to torchscript networks");
    require(m.scheduler() == null || m.scheduler().matches("[^/\\\\]+"),
        "scheduler names a file beside model.json, got '" + m.scheduler() + "'");
    require(m.timeInput() == null || torchScript, "timeInput applies to torchscript networks");
    if (m.timeInput() != null) {
      m.timeInput().toTimeInput();
    }
    require(m.shape() != null && !m.shape().isEmpty() && m.shape().stream().allMatch(d -> d > 0),
        "shape must be a non-empty list of positive sizes, got " + m.shape());
    if (m.defaultSampler() != null) {
      SamplerCatalog.spec(m.defaultSampler());
    }
    require(m.defaultSteps() == null || m.defaultSteps() >= 1,
        "defaultSteps must be >= 1, got " + m.defaultSteps());
    require(m.nullLabel() == null || (!m.classes().isEmpty() && m.nullLabel() >= 0
        && m.nullLabel() <= m.classes().size()), "nullLabel must be in [0, len(classes)="
        + m.classes().size() + "] for a class-conditional model, got " + m.nullLabel());
    require(m.mu() == null || Double.isFinite(m.mu()), "mu must be a finite number");
    for (String file : new String[] {m.decoder(), m.encoder()}) {
      require(file == null || file.matches("[^/\\\\]+"),
          "decoder and encoder name files beside model.json, got '" + file + "'");
    }
    require(m.encoder() == null || m.decoder() != null, "an encoder needs a decoder beside it");
    require(m.decoder() != null || (m.scalingFactor() == null && m.shiftFactor() == null),
        "scaling_factor and shift_factor apply to a latent model's decoder; there is none");
    require(m.decoder() == null || m.scalingFactor() != null, "scaling_factor is missing: copy"
        + " it from the VAE's config.json (0.18215 for Stable Diffusion 1 and 2, 1.5305 for SD3;"
        + " 1 for latents that are not scaled)");
    require(m.scalingFactor() == null || (Double.isFinite(m.scalingFactor())
        && m.scalingFactor() != 0), "scaling_factor must be a finite non-zero number, got "
        + m.scalingFactor());
    require(m.shiftFactor() == null || Double.isFinite(m.shiftFactor()),
        "shift_factor must be a finite number, got " + m.shiftFactor());
  }

  /**
   * How the directory's network is driven: from its diffusers scheduler config when model.json
   * names one, with model.json's own fields in place of what the config implies; otherwise from
   * model.json alone, with the defaults a diffusers user would expect (euler for a flow,
   * dpmpp-2m for a diffusion model, 50 steps).
   *
   * @throws ModelStoreException naming the file, key and value of anything not understood
   */
  public static Conventions conventions(Path directory, ModelManifest m) {
    NoiseProcess process = m.process() == null ? null : m.process().toProcess();
    Map<String, Object> schedule = m.process() == null ? Map.of() : m.process().parameters();
    Parameterization p = m.parameterization() == null ? null
        : Parameterization.fromId(m.parameterization());
    NetworkConvention.TimeInput time = m.timeInput() == null ? null
        : m.timeInput().toTimeInput();
    if (m.scheduler() == null) {
      boolean flow = "flow".equals(m.kind());
      return new Conventions(m.kind(), process, schedule, new NetworkConvention(p,
          time == null ? NetworkConvention.TimeInput.PROCESS_TIME : time, 0, 1),
          m.defaultSampler() != null ? m.defaultSampler() : flow ? "euler" : "dpmpp-2m",
          m.defaultSteps() != null ? m.defaultSteps() : 50, SamplerOptions.DEFAULT, null);
    }
    Path file = directory.resolve(m.scheduler());
    Conventions read = DiffusersScheduler.read(file, readJson(file, JSON::readTree), m.mu());
    NetworkConvention network = read.network();
    if (p != null || time != null) {
      network = new NetworkConvention(p != null ? p : network.parameterization(),
          time != null ? time : network.timeInput(), network.sigmaData(), network.outputSign());
    }
    return read.overriddenBy(m.kind(), process, schedule, network, m.defaultSampler(),
        m.defaultSteps());
  }

  private interface JsonReading<T> {
    T read(File file);
  }

  /** A JSON file read, or a ModelStoreException that names it: missing, unreadable or invalid. */
  private static <T> T readJson(Path file, JsonReading<T> reading) {
    try {
      return reading.read(file.toFile());
    } catch (JacksonIOException e) {
      IOException cause = e.getCause();
      if (cause instanceof FileNotFoundException || cause instanceof NoSuchFileException) {
        throw new ModelStoreException(file + ": missing");
      }
      throw new ModelStoreException(file + ": cannot be read: " + cause.getMessage(), cause);
    } catch (JacksonException e) {
      throw new ModelStoreException(file + ": not valid JSON: " + e.getOriginalMessage());
    }
  }

  /**
   * The id a directory's model.json declares, read leniently so that a model that fails to load
   * can still be reported under its own id; empty where none can be read.
   */
  public static java.util.Optional<String> declaredId(Path directory) {
    try {
      JsonNode id = JSON.readTree(directory.resolve(MANIFEST).toFile()).get("id");
      return id != null && id.isString() && id.asString().matches(ID_PATTERN)
          ? java.util.Optional.of(id.asString()) : java.util.Optional.empty();
    } catch (JacksonException e) {
      return java.util.Optional.empty();
    }
  }

  /** @throws IllegalArgumentException for an id that cannot name a model */
  public static void checkId(String id) {
    require(id != null && id.matches(ID_PATTERN), "model id must be lower-case letters, digits,"
        + " '.' and '-', starting with a letter or digit, got '" + id + "'");
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Loads a model directory onto the manager's device, with a latent model's decoder. */
  public static Loaded load(Path directory, NDManager manager) {
    ModelManifest manifest = readManifest(directory);
    Conventions conventions = conventions(directory, manifest);
    Loaded network = loadNetwork(directory, manifest, conventions, manager);
    if (manifest.decoder() == null) {
      return network;
    }
    try {
      return new Loaded(manifest, conventions, network.model(), network.weights(),
          autoencoder(directory, manifest, manager.getDevice()));
    } catch (RuntimeException e) {
      network.close();
      throw e;
    }
  }

  private static LatentAutoencoder autoencoder(Path directory, ModelManifest m, Device device) {
    Path decoder = directory.resolve(m.decoder());
    Path encoder = m.encoder() == null ? null : directory.resolve(m.encoder());
    for (Path file : encoder == null ? List.of(decoder) : List.of(decoder, encoder)) {
      if (!Files.isRegularFile(file)) {
        throw new ModelStoreException(file + ": missing");
      }
    }
    try {
      return LatentAutoencoder.load(decoder, encoder, m.scalingFactor(),
          m.shiftFactor() == null ? 0 : m.shiftFactor(), sampleShape(m), device);
    } catch (IOException | MalformedModelException e) {
      throw new ModelStoreException(e.getMessage(), e);
    }
  }

  private static Loaded loadNetwork(Path directory, ModelManifest manifest,
      Conventions conventions, NDManager manager) {
    Path weights = directory.resolve(manifest.architecture().weights());
    if ("torchscript".equals(manifest.architecture().type())) {
      return loadTorchScript(manifest, conventions, weights, manager.getDevice());
    }
    Block network = network(manifest, directory.resolve(MANIFEST));
    NDManager owner = manager.newSubManager();
    try {
      Shape sample = sampleShape(manifest);
      network.initialize(owner, DataType.FLOAT32, new Shape(1).addAll(sample), new Shape(1),
          new Shape(1));
      Map<String, Shape> expected = new java.util.LinkedHashMap<>();
      network.getParameters().forEach(p -> expected.put(p.getKey(), p.getValue().getArray().getShape()));
      try (InputStream in = new BufferedInputStream(Files.newInputStream(weights))) {
        network.loadParameters(owner, new DataInputStream(in));
      }
      // DJL adopts whatever shapes the file holds; the manifest's architecture must agree.
      network.getParameters().forEach(p -> {
        Shape actual = p.getValue().getArray().getShape();
        if (!actual.equals(expected.get(p.getKey()))) {
          throw new ModelStoreException(weights + ": does not hold the weights model.json describes"
              + " (parameter " + p.getKey() + " has shape " + actual + ", the architecture needs "
              + expected.get(p.getKey()) + ")");
        }
      });
      NetworkModel model = new NetworkModel(network, conventions.process(),
          conventions.network().parameterization(), sample, manifest.classes().size());
      probe(model, weights, owner);
      return new Loaded(manifest, conventions, model, owner);
    } catch (NoSuchFileException e) {
      owner.close();
      throw new ModelStoreException(weights + ": missing");
    } catch (IOException | MalformedModelException | RuntimeException e) {
      owner.close();
      if (e instanceof ModelStoreException stored) {
        throw stored;
      }
      throw new ModelStoreException(weights + ": does not hold the weights model.json describes ("
          + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
    }
  }

  private static Loaded loadTorchScript(ModelManifest manifest, Conventions conventions,
      Path weights, Device device) {
    Map<String, Integer> p = manifest.architecture().params() == null
        ? Map.of() : manifest.architecture().params();
    int classes = manifest.classes().size();
    TorchScriptModel.Spec spec = new TorchScriptModel.Spec(conventions.process(),
        conventions.network(), sampleShape(manifest), classes,
        manifest.nullLabel() != null ? manifest.nullLabel() : classes, conventions.defaults());
    try {
      TorchScriptModel model = TorchScriptModel.load(weights, spec, device,
          p.getOrDefault("optimizeGraph", 0) != 0);
      return new Loaded(manifest, conventions, model, model);
    } catch (FileNotFoundException e) {
      throw new ModelStoreException(weights + ": missing");
    } catch (IOException | MalformedModelException e) {
      throw new ModelStoreException(e.getMessage(), e);
    }
  }

  private static Shape sampleShape(ModelManifest manifest) {
    return new Shape(manifest.shape().stream().mapToLong(Integer::longValue).toArray());
  }

  /** A fresh, uninitialized network for a manifest's architecture. */
  public static Block newNetwork(ModelManifest manifest) {
    return network(manifest, Path.of(manifest.id(), MANIFEST));
  }

  private static Block network(ModelManifest manifest, Path file) {
    ModelManifest.Architecture a = manifest.architecture();
    Map<String, Integer> p = a.params() == null ? Map.of() : a.params();
    if ("mlp".equals(a.type())) {
      require(file, manifest.shape().size() == 1, "an mlp takes samples of shape [d]");
      require(file, manifest.classes().isEmpty(), "an mlp is unconditional; classes must be []");
      return new MlpVectorField(manifest.shape().get(0), param(p, "hidden", file),
          param(p, "depth", file), param(p, "timeFeatures", file));
    }
    if ("unet".equals(a.type())) {
      require(file, manifest.shape().equals(List.of(1, 28, 28)), "a unet takes [1, 28, 28] images");
      return new UNetVectorField(param(p, "baseChannels", file), new int[] {1, 2, 2},
          manifest.classes().size());
    }
    throw new ModelStoreException(file + ": unknown architecture '" + a.type()
        + "'; expected one of [mlp, unet, torchscript]");
  }

  private static int param(Map<String, Integer> params, String name, Path file) {
    Integer value = params.get(name);
    require(file, value != null, "architecture.params." + name + " is missing");
    return value;
  }

  private static void require(Path file, boolean condition, String message) {
    if (!condition) {
      throw new ModelStoreException(file + ": " + message);
    }
  }

  /** One evaluation at the noise end must return the sample shape with finite values. */
  private static void probe(Model model, Path weights, NDManager manager) {
    try (NDManager scope = manager.newSubManager()) {
      NoiseProcess process = model.process();
      Shape shape = new Shape(2).addAll(model.sampleShape());
      NDArray x = scope.zeros(shape);
      NDArray t = scope.full(new Shape(2), (float) process.noiseTime());
      int[] labels = model.classCount() > 0 ? new int[] {0, -1} : null;
      NDArray out = model.predict(x, t, labels);
      if (!out.getShape().equals(shape)) {
        throw new ModelStoreException(weights + ": the network answers shape " + out.getShape()
            + " for samples of shape " + shape);
      }
      if (!Double.isFinite(out.abs().sum().toType(DataType.FLOAT64, false).getDouble())) {
        throw new ModelStoreException(weights + ": the network answers non-finite values");
      }
    }
  }

  /** Writes a model directory atomically: manifest and network weights. */
  public static void save(Path directory, ModelManifest manifest, Block network) {
    save(directory, manifest, network, Set.of());
  }

  /**
   * Writes a model directory atomically, carrying the entries named in {@code keep} (such as the
   * checkpoints a training run wrote into it) over from the directory it replaces.
   */
  public static void save(Path directory, ModelManifest manifest, Block network,
      Set<String> keep) {
    try {
      validate(manifest);
    } catch (IllegalArgumentException e) {
      throw new ModelStoreException(directory.resolve(MANIFEST) + ": " + e.getMessage());
    }
    Path parent = directory.toAbsolutePath().getParent();
    Path staging = null;
    try {
      Files.createDirectories(parent);
      staging = Files.createTempDirectory(parent, "." + directory.getFileName() + "-");
      shareable(staging, "rwxr-xr-x");
      Files.write(staging.resolve(MANIFEST), JSON.writeValueAsBytes(manifest));
      try (OutputStream out = new BufferedOutputStream(
          Files.newOutputStream(staging.resolve(manifest.architecture().weights())))) {
        network.saveParameters(new DataOutputStream(out));
      }
      replace(staging, directory, keep);
      staging = null;
    } catch (IOException e) {
      throw new ModelStoreException(directory + ": cannot be written: " + e.getMessage(), e);
    } finally {
      if (staging != null) {
        deleteTree(staging);
      }
    }
  }

  /**
   * Temporary files are private to their owner; a model is read by whoever serves it (another
   * user in a container, say).
   */
  private static void shareable(Path path, String permissions) throws IOException {
    if (Files.getFileStore(path).supportsFileAttributeView("posix")) {
      Files.setPosixFilePermissions(path,
          java.nio.file.attribute.PosixFilePermissions.fromString(permissions));
    }
  }

  private static void replace(Path staging, Path directory, Set<String> keep) throws IOException {
    Path old = null;
    if (Files.exists(directory)) {
      old = directory.resolveSibling("." + directory.getFileName() + "-old");
      deleteTree(old);
      Files.move(directory, old);
    }
    try {
      Files.move(staging, directory, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(staging, directory);
    }
    if (old != null) {
      // Carried over after the swap, so that a failure before it leaves them with the old model.
      for (String name : keep) {
        if (Files.exists(old.resolve(name)) && !Files.exists(directory.resolve(name))) {
          Files.move(old.resolve(name), directory.resolve(name));
        }
      }
      deleteTree(old);
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new ModelStoreException(root + ": cannot be removed: " + e.getMessage(), e);
    }
  }

  /** Replaces a model directory's manifest (weights untouched), atomically. */
  public static void writeManifest(Path directory, ModelManifest manifest) {
    Path file = directory.resolve(MANIFEST);
    try {
      validate(manifest);
      Path staging = Files.createTempFile(directory, "." + MANIFEST, ".tmp");
      try {
        shareable(staging, "rw-r--r--");
        Files.write(staging, JSON.writeValueAsBytes(manifest));
        Files.move(staging, file, StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(staging);
      }
    } catch (IllegalArgumentException e) {
      throw new ModelStoreException(file + ": " + e.getMessage());
    } catch (IOException e) {
      throw new ModelStoreException(file + ": cannot be written: " + e.getMessage(), e);
    }
  }

}
