package dev.streamline.models.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SamplingLoop;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The export recipe for PyTorch users (models/export) with Debian's python3-torch, where it is
 * installed (CI installs it): its own tests, and a directory it writes served by the model store.
 */
class ExportRecipeTest {

  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final Path RECIPE = Path.of("export");

  private record Run(int code, String output) {}

  private static Run python(Path workingDirectory, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(PYTHON.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(workingDirectory.toFile())
        .redirectErrorStream(true);
    // No bytecode caches in the source tree.
    builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process process = builder.start();
    process.getOutputStream().close();
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError(command + " did not finish in 5 minutes");
    }
    return new Run(process.exitValue(),
        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  private static void assumeTorch() throws IOException, InterruptedException {
    assumeTrue(Files.isExecutable(PYTHON), "no /usr/bin/python3");
    assumeTrue(python(Path.of("."), "-c", "import torch").code() == 0,
        "no python3-torch (apt-get install python3-torch)");
  }

  @Test
  void theRecipesOwnTestsPass() throws Exception {
    assumeTorch();
    Run run = python(RECIPE, "-m", "unittest", "discover", "-s", ".", "-p", "test_*.py");
    assertThat(run.code()).as(run.output()).isZero();
    assertThat(run.output()).contains("Ran 5 tests").contains("OK");
  }

  @Test
  void whatTheRecipeWritesIsServed(@TempDir Path tmp) throws Exception {
    assumeTorch();
    Path config = tmp.resolve("scheduler_config.json");
    Files.writeString(config, "{\"_class_name\": \"EulerDiscreteScheduler\", \"beta_schedule\":"
        + " \"scaled_linear\", \"beta_start\": 0.00085, \"beta_end\": 0.012, \"prediction_type\":"
        + " \"v_prediction\"}");
    Path out = tmp.resolve("stand-in");
    Run run = python(RECIPE, "export_model.py", "--module", "stand_in:unconditional",
        "--scheduler", config.toString(), "--shape", "1", "4", "4", "--id", "stand-in", "--out",
        out.toString());
    assertThat(run.code()).as(run.output()).isZero();
    try (NDManager manager = NDManager.newBaseManager();
        ModelStore.Loaded loaded = ModelStore.load(out, manager)) {
      assertThat(loaded.conventions().scheduler()).isEqualTo("EulerDiscreteScheduler");
      assertThat(loaded.conventions().defaultSampler()).isEqualTo("euler");
      assertThat(loaded.model().sampleShape().toString()).isEqualTo("(1, 4, 4)");
      float[] samples = SamplingLoop.sample(loaded.model(), SamplingJob.of("euler", 5, 2, 0),
          manager).samples().toFloatArray();
      assertThat(samples).hasSize(32);
      for (float v : samples) {
        assertThat(Float.isFinite(v)).isTrue();
      }
    }
  }

  @Test
  void aLatentModelTheRecipeWritesIsServedWithItsDecoder(@TempDir Path tmp) throws Exception {
    assumeTorch();
    Path config = tmp.resolve("scheduler_config.json");
    Files.writeString(config, "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\","
        + " \"shift\": 3.0}");
    Path vae = tmp.resolve("vae.json");
    Files.writeString(vae, "{\"scaling_factor\": 1.5305, \"shift_factor\": 0.0609}");
    Path out = tmp.resolve("latent");
    Run run = python(RECIPE, "export_model.py", "--module", "stand_in:unconditional",
        "--scheduler", config.toString(), "--shape", "4", "2", "2", "--id", "latent", "--out",
        out.toString(), "--decoder", "stand_in:decoder", "--encoder", "stand_in:encoder",
        "--vae-config", vae.toString());
    assertThat(run.code()).as(run.output()).isZero();
    try (NDManager manager = NDManager.newBaseManager();
        ModelStore.Loaded loaded = ModelStore.load(out, manager)) {
      var latent = loaded.autoencoder();
      assertThat(latent.dataShape().toString()).isEqualTo("(3, 4, 4)");
      assertThat(latent.canEncode()).isTrue();
      assertThat(java.util.List.of(latent.scalingFactor(), latent.shiftFactor()))
          .containsExactly(1.5305, 0.0609);
      var z = SamplingLoop.sample(loaded.model(), SamplingJob.of("euler", 5, 2, 0), manager)
          .samples();
      assertThat(latent.encode(latent.decode(z)).getShape()).isEqualTo(z.getShape());
    }
  }
}
