package dev.streamline.models.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.streamline.models.data.TwoDimensionalDataset;
import dev.streamline.models.nn.NetworkModel;
import dev.streamline.models.train.Objective;
import dev.streamline.models.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Save → load round trips exactly; every broken directory fails with a message naming the file. */
class ModelStoreTest {

  @TempDir
  static Path tmp;
  static Path trained;

  @BeforeAll
  static void train() {
    trained = tmp.resolve("moons-small");
    Trainer.train(Trainer.Config.points("moons-small", TwoDimensionalDataset.MOONS, Objective.CFM,
        50, 64, 1e-3, 5, 3, 32, 2, 8, "heun", 8), trained, "test", null);
  }

  private static Path copy(String name) throws IOException {
    Path dir = tmp.resolve(name);
    Files.createDirectories(dir);
    try (var files = Files.list(trained)) {
      for (Path f : files.toList()) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
    return dir;
  }

  private static void load(Path dir) {
    try (NDManager manager = NDManager.newBaseManager()) {
      ModelStore.load(dir, manager);
    }
  }

  @Test
  void savedModelLoadsWithIdenticalOutputs() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray x = manager.randomNormal(new Shape(16, 2));
      NDArray t = manager.randomUniform(0, 1, new Shape(16));
      ModelStore.Loaded first = ModelStore.load(trained, manager);
      Path again = tmp.resolve("saved-again");
      ModelStore.save(again, first.manifest(), ((NetworkModel) first.model()).network());
      ModelStore.Loaded second = ModelStore.load(again, manager);
      assertThat(second.manifest()).isEqualTo(first.manifest());
      assertThat(first.model().predict(x, t, null).toFloatArray())
          .containsExactly(second.model().predict(x, t, null).toFloatArray());
    }
  }

  @Test
  void manifestRecordsHowTheModelWasMade() {
    ModelManifest m = ModelStore.readManifest(trained);
    assertThat(m.kind()).isEqualTo("flow");
    assertThat(m.process().toProcess().id()).isEqualTo("linear");
    assertThat(m.parameterization()).isEqualTo("velocity");
    assertThat(m.architecture().params()).containsEntry("hidden", 32).containsEntry("depth", 2);
    assertThat(m.training().dataset()).isEqualTo("moons");
    assertThat(m.training().objective()).isEqualTo("cfm");
    assertThat(m.training().steps()).isEqualTo(50);
    assertThat(m.training().finalLoss()).isPositive();
  }

  @Test
  void missingFilesAreNamed() throws IOException {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    assertThatThrownBy(() -> load(empty)).isInstanceOf(ModelStoreException.class)
        .hasMessage(empty.resolve("model.json") + ": missing");
    Path noWeights = copy("no-weights");
    Files.delete(noWeights.resolve("weights.params"));
    assertThatThrownBy(() -> load(noWeights))
        .hasMessage(noWeights.resolve("weights.params") + ": missing");
  }

  @Test
  void truncatedOrForeignWeightsAreRejected() throws IOException {
    Path truncated = copy("truncated");
    Path weights = truncated.resolve("weights.params");
    byte[] bytes = Files.readAllBytes(weights);
    Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    assertThatThrownBy(() -> load(truncated))
        .hasMessageStartingWith(weights + ": does not hold the weights model.json describes");

    Path wrongShape = copy("wrong-shape");
    String json = Files.readString(wrongShape.resolve("model.json"))
        .replace("\"hidden\" : 32", "\"hidden\" : 48");
    Files.writeString(wrongShape.resolve("model.json"), json);
    assertThatThrownBy(() -> load(wrongShape))
        .hasMessageStartingWith(wrongShape.resolve("weights.params")
            + ": does not hold the weights model.json describes");
  }

  @Test
  void badManifestsAreRejectedWithTheField() throws IOException {
    Map<String, String> edits = Map.of(
        "\"type\" : \"mlp\"", "unknown architecture 'resnet'; expected one of [mlp, unet, torchscript]",
        "\"type\" : \"linear\"", "unknown process type 'warp'; expected one of",
        "\"kind\" : \"flow\"", "kind must be 'flow' or 'diffusion', got image",
        "\"parameterization\" : \"velocity\"", "unknown parameterization 'speed'",
        "\"defaultSampler\" : \"heun\"", "unknown sampler 'rk9'");
    Map<String, String> replacements = Map.of(
        "\"type\" : \"mlp\"", "\"type\" : \"resnet\"",
        "\"type\" : \"linear\"", "\"type\" : \"warp\"",
        "\"kind\" : \"flow\"", "\"kind\" : \"image\"",
        "\"parameterization\" : \"velocity\"", "\"parameterization\" : \"speed\"",
        "\"defaultSampler\" : \"heun\"", "\"defaultSampler\" : \"rk9\"");
    int i = 0;
    for (Map.Entry<String, String> edit : edits.entrySet()) {
      Path dir = copy("bad-" + i++);
      Path manifest = dir.resolve("model.json");
      String json = Files.readString(manifest);
      assertThat(json).contains(edit.getKey());
      Files.writeString(manifest, json.replace(edit.getKey(), replacements.get(edit.getKey())));
      assertThatThrownBy(() -> load(dir)).isInstanceOf(ModelStoreException.class)
          .hasMessageStartingWith(manifest + ": ")
          .hasMessageContaining(edit.getValue());
    }
    Path broken = copy("not-json");
    Files.writeString(broken.resolve("model.json"), "{\"id\": ");
    assertThatThrownBy(() -> load(broken))
        .hasMessageStartingWith(broken.resolve("model.json") + ": not valid JSON");
  }

  @Test
  void versionsAreCheckedAndANumberReadsAsItsDigits() throws IOException {
    Path dir = copy("versioned");
    Path manifest = dir.resolve("model.json");
    String json = Files.readString(manifest);
    Files.writeString(manifest, json.replaceFirst("\\{", "{\"version\": 12,"));
    assertThat(ModelStore.readManifest(dir).version()).isEqualTo("12");
    for (String bad
        : new String[] {"\"../1\"", "\"\"", "\"-rc1\"", "\"" + "9".repeat(65) + "\""}) {
      Files.writeString(manifest, json.replaceFirst("\\{", "{\"version\": " + bad + ","));
      assertThatThrownBy(() -> ModelStore.readManifest(dir))
          .hasMessage(manifest + ": version must be 1 to 64 letters, digits, '.', '_' and '-',"
              + " starting with a letter or digit, got '" + bad.replace("\"", "") + "'");
    }
  }

  @Test
  void torchScriptDirectoriesLoadLikeOurOwn() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("torchscript"));
    Files.copy(Path.of(getClass().getResource("/torchscript/velocity-mlp.pt").toURI()),
        dir.resolve("model.pt"));
    Files.writeString(dir.resolve("model.json"), """
        {"id": "imported", "kind": "flow", "process": {"type": "linear"},
         "parameterization": "velocity",
         "architecture": {"type": "torchscript", "weights": "model.pt"},
         "shape": [2], "classes": [], "defaultSampler": "heun", "defaultSteps": 8}
        """);
    try (NDManager manager = NDManager.newBaseManager();
        ModelStore.Loaded loaded = ModelStore.load(dir, manager)) {
      NDArray samples = dev.streamline.sampler.SamplingLoop.sample(loaded.model(),
          dev.streamline.sampler.SamplingJob.of("heun", 8, 5, 1), manager).samples();
      assertThat(samples.getShape()).isEqualTo(new Shape(5, 2));
    }
    Files.delete(dir.resolve("model.pt"));
    assertThatThrownBy(() -> load(dir)).hasMessage(dir.resolve("model.pt") + ": missing");
  }

  @Test
  void saveReplacesAWholeDirectoryOrNothing() throws IOException {
    Path target = copy("replace");
    ModelManifest manifest = ModelStore.readManifest(target);
    ModelManifest invalid = new ModelManifest("Bad Id", manifest.kind(), manifest.process(),
        manifest.parameterization(), manifest.architecture(), manifest.shape(), null,
        manifest.classes(), manifest.defaultSampler(), manifest.defaultSteps(), null);
    try (NDManager manager = NDManager.newBaseManager()) {
      ModelStore.Loaded loaded = ModelStore.load(target, manager);
      assertThatThrownBy(() -> ModelStore.save(target, invalid,
          ((NetworkModel) loaded.model()).network()))
          .hasMessageContaining("id must be lower-case");
    }
    assertThat(ModelStore.readManifest(target)).isEqualTo(manifest);
    try (var siblings = Files.list(tmp)) {
      assertThat(siblings.map(p -> p.getFileName().toString()))
          .noneMatch(name -> name.startsWith(".replace"));
    }
  }
}
