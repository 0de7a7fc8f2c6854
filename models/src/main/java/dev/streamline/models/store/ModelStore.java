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
import dev.streamline.models.torchscript.TorchScriptModel;
import dev.streamline.sampler.Model;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.Parameterization;
import dev.streamline.sampler.SamplerCatalog;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
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
   */
  public record Loaded(ModelManifest manifest, Model model, AutoCloseable weights)
      implements AutoCloseable {
    @Override
    public void close() {
      try {
        weights.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing " + manifest.id() + " failed", e);
      }
    }
  }

  public static ModelManifest readManifest(Path directory) {
    Path file = directory.resolve(MANIFEST);
    ModelManifest manifest;
    try {
      manifest = JSON.readValue(file.toFile(), ModelManifest.class);
    } catch (JacksonIOException e) {
      IOException cause = e.getCause();
      if (cause instanceof FileNotFoundException || cause instanceof NoSuchFileException) {
        throw new ModelStoreException(file + ": missing");
      }
      throw new ModelStoreException(file + ": cannot be read: " + cause.getMessage(), cause);
    } catch (JacksonException e) {
      throw new ModelStoreException(file + ": not valid JSON: " + e.getOriginalMessage());
    }
    try {
      validate(manifest);
    } catch (IllegalArgumentException e) {
      throw new ModelStoreException(file + ": " + e.getMessage());
    }
    return manifest;
  }

  static void validate(ModelManifest m) {
    checkId(m.id());
    require("flow".equals(m.kind()) || "diffusion".equals(m.kind()),
        "kind must be 'flow' or 'diffusion', got " + m.kind());
    require(m.process() != null, "process is missing");
    m.process().toProcess();
    require(m.parameterization() != null, "parameterization is missing");
    Parameterization.fromId(m.parameterization());
    require(m.architecture() != null && m.architecture().type() != null,
        "architecture.type is missing");
    require(m.architecture().weights() != null, "architecture.weights is missing");
    require(m.shape() != null && !m.shape().isEmpty() && m.shape().stream().allMatch(d -> d > 0),
        "shape must be a non-empty list of positive sizes, got " + m.shape());
    require(m.classes() != null, "classes is missing (use [] for an unconditional model)");
    require(m.defaultSampler() != null, "defaultSampler is missing");
    SamplerCatalog.spec(m.defaultSampler());
    require(m.defaultSteps() >= 1, "defaultSteps must be >= 1, got " + m.defaultSteps());
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

  /** Loads a model directory onto the manager's device. */
  public static Loaded load(Path directory, NDManager manager) {
    ModelManifest manifest = readManifest(directory);
    Path weights = directory.resolve(manifest.architecture().weights());
    if ("torchscript".equals(manifest.architecture().type())) {
      return loadTorchScript(manifest, weights, manager.getDevice());
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
      NetworkModel model = new NetworkModel(network, manifest.process().toProcess(),
          Parameterization.fromId(manifest.parameterization()), sample, manifest.classes().size());
      probe(model, weights, owner);
      return new Loaded(manifest, model, owner);
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

  private static Loaded loadTorchScript(ModelManifest manifest, Path weights, Device device) {
    Map<String, Integer> p = manifest.architecture().params() == null
        ? Map.of() : manifest.architecture().params();
    try {
      TorchScriptModel model = TorchScriptModel.load(weights,
          Parameterization.fromId(manifest.parameterization()), manifest.process().toProcess(),
          sampleShape(manifest), manifest.classes().size(), device,
          p.getOrDefault("optimizeGraph", 0) != 0);
      return new Loaded(manifest, model, model);
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
