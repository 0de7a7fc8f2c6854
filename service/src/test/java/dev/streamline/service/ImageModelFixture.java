package dev.streamline.service;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.streamline.models.store.ModelManifest;
import dev.streamline.models.store.ModelStore;
import dev.streamline.models.store.ProcessSpec;
import dev.streamline.sampler.NoiseProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.springframework.util.FileSystemUtils;

/**
 * Model directories for tests: a small untrained class-conditional U-Net (the image path of the
 * API does not care whether the images are good) and a broken one.
 */
public final class ImageModelFixture {

  private ImageModelFixture() {}

  public static final List<String> CLASSES = List.of("a", "b", "c");

  /** The models module's fixtures of other ecosystems' conventions (the tests run in service/). */
  static final Path CONVENTIONS = Path.of("../models/src/test/resources/conventions");
  static final String FOREIGN = "vp-cos-v";
  /** A latent model: SD3's flow on latents, a linear decoder to [3, 4, 4] and an encoder. */
  static final String LATENT = "flow-sd3-latent";
  /** A TorchScript flow whose forward detaches its output. */
  static final String NO_GRADIENT = "no-gradient";

  public static Path write(Path root) throws IOException {
    FileSystemUtils.deleteRecursively(root);
    Path directory = root.resolve("tiny-unet");
    ModelManifest manifest = new ModelManifest("tiny-unet", "flow",
        ProcessSpec.of(new NoiseProcess.LinearInterpolant()), "velocity",
        new ModelManifest.Architecture("unet", ModelStore.NETWORK_WEIGHTS,
            Map.of("baseChannels", 8)),
        List.of(1, 28, 28), null, CLASSES, "euler", 4, null);
    Block network = ModelStore.newNetwork(manifest);
    try (NDManager manager = NDManager.newBaseManager()) {
      // Seeded, so that every run serves the same network and a request's NFE under an adaptive
      // solver (what ApiRobustnessTest's fixed seed replays) does not change from run to run.
      Engine.getInstance().setRandomSeed(15);
      network.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 28, 28), new Shape(1),
          new Shape(1));
      ModelStore.save(directory, manifest, network);
    }
    Path broken = root.resolve("broken");
    Files.createDirectories(broken);
    Files.writeString(broken.resolve(ModelStore.MANIFEST), "{\"id\": \"broken\"");
    // A model trained elsewhere (diffusers' Heun scheduler on a cosine table, v-prediction), and
    // one whose scheduler is not served, in a directory not named for its id.
    for (String name : List.of(FOREIGN, LATENT)) {
      Path copy = root.resolve(name);
      Files.createDirectories(copy);
      try (var files = Files.list(CONVENTIONS.resolve(name))) {
        for (Path file : files.toList()) {
          Files.copy(file, copy.resolve(file.getFileName()));
        }
      }
    }
    // A TorchScript network that detaches its output: it samples, but has no Jacobian to trace.
    Path detached = root.resolve(NO_GRADIENT);
    Files.createDirectories(detached);
    Files.copy(Path.of("../models/src/test/resources/torchscript/detached.pt"),
        detached.resolve("model.pt"));
    Files.writeString(detached.resolve(ModelStore.MANIFEST), "{\"id\": \"" + NO_GRADIENT
        + "\", \"kind\": \"flow\", \"process\": {\"type\": \"linear\"},"
        + " \"parameterization\": \"velocity\", \"shape\": [2], \"architecture\":"
        + " {\"type\": \"torchscript\", \"weights\": \"model.pt\"}}");
    // A second model declaring an id already served: the first is served, this one is not.
    Path again = root.resolve(NO_GRADIENT + "-again");
    Files.createDirectories(again);
    for (String file : List.of("model.pt", ModelStore.MANIFEST)) {
      Files.copy(detached.resolve(file), again.resolve(file));
    }
    Path unserved = root.resolve("downloaded-model");
    Files.createDirectories(unserved);
    Files.writeString(unserved.resolve(ModelStore.MANIFEST), "{\"id\": \"karras-ve\","
        + " \"shape\": [2], \"architecture\": {\"type\": \"torchscript\", \"weights\":"
        + " \"model.pt\"}, \"scheduler\": \"scheduler_config.json\"}");
    Files.writeString(unserved.resolve("scheduler_config.json"),
        "{\"_class_name\": \"KarrasVeScheduler\"}");
    return root;
  }
}
