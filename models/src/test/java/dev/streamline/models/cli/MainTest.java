package dev.streamline.models.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamline.models.store.ModelManifest;
import dev.streamline.models.store.ModelStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: exit codes and the messages a user sees. */
class MainTest {

  private record Outcome(int code, String out, String err) {}

  private static Outcome run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int code = Main.run(args);
      return new Outcome(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void trainsEvaluatesAndRecords(@TempDir Path tmp) {
    Path dir = tmp.resolve("gauss");
    Outcome trained = run("train", "--dataset", "8gaussians", "--objective", "vp-epsilon",
        "--steps", "60", "--batch-size", "64", "--hidden", "32", "--depth", "2", "--time-features",
        "8", "--warmup", "5", "--default-sampler", "ddim", "--default-steps", "10", "--out",
        dir.toString());
    assertThat(trained.code()).as(trained.err()).isZero();
    assertThat(trained.out()).startsWith("wrote " + dir + ": final loss ");

    Outcome evaluated = run("evaluate", "--model", dir.toString(), "-n", "300", "--record");
    assertThat(evaluated.code()).as(evaluated.err()).isZero();
    assertThat(evaluated.out()).matches("(?s)gauss with ddim, 10 steps \\(11 NFE\\), 300 samples:"
        + " energy \\S+ \\(floor \\S+\\), MMD² .*");
    ModelManifest.Evaluation recorded = ModelStore.readManifest(dir).training().evaluation();
    assertThat(recorded.sampler()).isEqualTo("ddim");
    assertThat(recorded.nfe()).isEqualTo(11);
    assertThat(recorded.metrics()).containsKeys("energy", "energyFloor", "mmdSquared",
        "slicedW2Floor");
  }

  @Test
  void evaluatesAnImageModelWithTheBundledClassifier(@TempDir Path tmp) throws Exception {
    Path subset = Path.of(getClass().getResource("/fashion-mnist-subset").toURI());
    Path dir = tmp.resolve("fashion-tiny");
    dev.streamline.models.train.Trainer.train(new dev.streamline.models.train.Trainer.Config(
        "fashion-tiny", dev.streamline.models.train.TrainingData.of("fashion-mnist",
            new dev.streamline.models.data.FashionMnist(subset).test()),
        dev.streamline.models.train.Objective.CFM, 2, 4, 1e-3, 1, 1.0, 0.9, 5, "unet",
        java.util.Map.of("baseChannels", 8), 0.1, 0, "euler", 2), dir, "test", null);

    Outcome evaluated = run("evaluate", "--model", dir.toString(), "--data-dir",
        subset.toString(), "-n", "40", "--guidance", "2", "--record");
    assertThat(evaluated.code()).as(evaluated.err()).isZero();
    assertThat(evaluated.out()).matches("(?s)fashion-tiny with euler, 2 steps \\(2 NFE\\), guidance"
        + " 2.0, 40 samples: Fréchet distance \\S+ \\(real vs real \\S+\\), class accuracy .*");
    ModelManifest.Evaluation recorded = ModelStore.readManifest(dir).training().evaluation();
    // An untrained network's samples are not clothes: the floor is far below its distance.
    assertThat(recorded.metrics().get("frechet"))
        .isGreaterThan(2 * recorded.metrics().get("frechetFloor"));
    assertThat(recorded.metrics().get("classAccuracy")).isBetween(0.0, 1.0);

    Outcome tooMany = run("evaluate", "--model", dir.toString(), "--data-dir", subset.toString(),
        "-n", "150");
    assertThat(tooMany.code()).isEqualTo(1);
    assertThat(tooMany.err()).contains("the real split has 200 images; comparing 150 samples"
        + " needs 300");
  }

  @Test
  void badArgumentsGiveAMessageAndExitTwo(@TempDir Path tmp) {
    Outcome unknown = run("train", "--dataset", "moon", "--objective", "cfm", "--out",
        tmp.resolve("x").toString());
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).startsWith("unknown two-dimensional dataset 'moon'");

    Outcome steps = run("train", "--dataset", "moons", "--objective", "cfm", "--steps", "0",
        "--out", tmp.resolve("y").toString());
    assertThat(steps.code()).isEqualTo(2);
    assertThat(steps.err()).startsWith("steps >= 1");

    Outcome threads = run("train", "--dataset", "moons", "--objective", "cfm", "--threads", "0",
        "--out", tmp.resolve("z").toString());
    assertThat(threads.code()).isEqualTo(2);
    assertThat(threads.err()).startsWith("threads must be >= 1");

    Outcome missing = run("train", "--dataset", "moons");
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).startsWith("Missing required options:");
  }

  @Test
  void aMissingModelIsAOneLineError(@TempDir Path tmp) {
    Outcome outcome = run("evaluate", "--model", tmp.resolve("nowhere").toString());
    assertThat(outcome.code()).isEqualTo(1);
    assertThat(outcome.err().strip())
        .isEqualTo("error: " + tmp.resolve("nowhere").resolve("model.json") + ": missing");
  }
}
