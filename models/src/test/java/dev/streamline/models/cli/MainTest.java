package dev.streamline.models.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamline.models.store.ModelManifest;
import dev.streamline.models.store.ModelStore;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The command line: exit codes and the messages a user sees. */
class MainTest {

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  @Test
  void trainsEvaluatesAndRecords(@TempDir Path tmp) {
    Path dir = tmp.resolve("gauss");
    CliRun trained = run("train", "--dataset", "8gaussians", "--objective", "vp-epsilon",
        "--steps", "60", "--batch-size", "64", "--hidden", "32", "--depth", "2", "--time-features",
        "8", "--warmup", "5", "--default-sampler", "ddim", "--default-steps", "10", "--out",
        dir.toString());
    assertThat(trained.code()).as(trained.err()).isZero();
    assertThat(trained.out()).startsWith("wrote " + dir + ": final loss ");

    CliRun evaluated = run("evaluate", "--model", dir.toString(), "-n", "300", "--record");
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

    CliRun evaluated = run("evaluate", "--model", dir.toString(), "--data-dir",
        subset.toString(), "-n", "40", "--guidance", "2", "--record");
    assertThat(evaluated.code()).as(evaluated.err()).isZero();
    assertThat(evaluated.out()).matches("(?s)fashion-tiny with euler, 2 steps \\(2 NFE\\), guidance"
        + " 2.0, 40 samples: Fréchet distance \\S+ \\(real vs real \\S+\\), class accuracy .*");
    ModelManifest.Evaluation recorded = ModelStore.readManifest(dir).training().evaluation();
    // An untrained network's samples are not clothes: the floor is far below its distance.
    assertThat(recorded.metrics().get("frechet"))
        .isGreaterThan(2 * recorded.metrics().get("frechetFloor"));
    assertThat(recorded.metrics().get("classAccuracy")).isBetween(0.0, 1.0);

    // Known before sampling, which for a trained U-Net at this -n takes minutes.
    CliRun tooMany = run("evaluate", "--model", dir.toString(), "--data-dir", subset.toString(),
        "-n", "150");
    assertThat(tooMany.code()).isEqualTo(2);
    assertThat(tooMany.err()).startsWith("error: -n must be at most 100: the metrics compare the"
        + " samples with two sets of as many real images, and the test split in " + subset
        + " has 200, got 150\n");
  }

  @Test
  void badArgumentsGiveAMessageAndExitTwo(@TempDir Path tmp) {
    CliRun unknown = run("train", "--dataset", "moon", "--objective", "cfm", "--out",
        tmp.resolve("x").toString());
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).startsWith("error: unknown two-dimensional dataset 'moon'");
    // The message and a pointer to the help, not the whole usage after it.
    assertThat(unknown.err().lines()).hasSize(2).last().isEqualTo("Try 'models train --help'.");

    CliRun steps = run("train", "--dataset", "moons", "--objective", "cfm", "--steps", "0",
        "--out", tmp.resolve("y").toString());
    assertThat(steps.code()).isEqualTo(2);
    assertThat(steps.err()).startsWith("error: steps >= 1");

    CliRun threads = run("train", "--dataset", "moons", "--objective", "cfm", "--threads", "0",
        "--out", tmp.resolve("z").toString());
    assertThat(threads.code()).isEqualTo(2);
    assertThat(threads.err()).startsWith("error: threads must be >= 1");

    CliRun missing = run("train", "--dataset", "moons");
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).startsWith("error: Missing required options:");
  }

  @Test
  void anOutThatHoldsSomethingElseIsLeftAlone(@TempDir Path tmp) throws Exception {
    Path notes = Files.writeString(tmp.resolve("notes.txt"), "mine");
    CliRun directory = train(tmp, "--id", "x");
    assertThat(directory.code()).isEqualTo(2);
    assertThat(directory.err()).startsWith("error: --out " + tmp + " holds files that are not a"
        + " model (notes.txt) and would be replaced by one; name a new or empty directory\n");
    assertThat(Files.readString(notes)).isEqualTo("mine");

    CliRun file = train(notes);
    assertThat(file.code()).isEqualTo(2);
    assertThat(file.err()).startsWith("error: --out " + notes + " is a file; name a directory to"
        + " write the model to\n");

    CliRun underAFile = train(notes.resolve("model"));
    assertThat(underAFile.code()).isEqualTo(2);
    assertThat(underAFile.err()).startsWith("error: --out " + notes.resolve("model")
        + " cannot be created: " + notes + " is a file\n");
    assertThat(Files.readString(notes)).isEqualTo("mine");
  }

  @Test
  void modelIdAndDefaultStepsAreCheckedBeforeTraining(@TempDir Path tmp) {
    // Else the run trains to the end and only then fails to write model.json.
    CliRun named = train(tmp.resolve("My_Model"), "--steps", "100000");
    assertThat(named.code()).isEqualTo(2);
    assertThat(named.err()).startsWith("error: model id must be lower-case letters, digits, '.'"
        + " and '-', starting with a letter or digit, got 'My_Model' (the output directory's"
        + " name; give --id)\n");

    CliRun id = train(tmp.resolve("a"), "--steps", "100000", "--id", "Bad_Id");
    assertThat(id.code()).isEqualTo(2);
    assertThat(id.err()).startsWith("error: model id must be lower-case letters, digits, '.' and"
        + " '-', starting with a letter or digit, got 'Bad_Id'\n");

    CliRun defaultSteps = train(tmp.resolve("b"), "--steps", "100000", "--default-steps", "0");
    assertThat(defaultSteps.code()).isEqualTo(2);
    assertThat(defaultSteps.err()).startsWith("error: default steps must be >= 1, got 0\n");
    assertThat(tmp).isEmptyDirectory();
  }

  @Test
  void outOfRangeTrainingNumbersAreBadArguments(@TempDir Path tmp) {
    int cores = Runtime.getRuntime().availableProcessors();
    CliRun threads = train(tmp.resolve("a"), "--threads", "100000");
    assertThat(threads.code()).isEqualTo(2);
    assertThat(threads.err()).startsWith("error: threads must be >= 1 and at most this machine's "
        + cores + " cores, got 100000\n");

    // DJL's own check would fail later, with "Starting learning rate must be greater than final".
    CliRun lr = train(tmp.resolve("b"), "--lr", "Infinity");
    assertThat(lr.code()).isEqualTo(2);
    assertThat(lr.err()).startsWith("error: steps >= 1, batch size >= 2, learning rate > 0"
        + " (finite), ");
    assertThat(tmp).isEmptyDirectory();
  }

  /** The networks refused them only once training started: exit 1, without the option's name. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "moons         | --hidden        | 0  | --hidden must be from 1 to 8192, got 0",
      "moons         | --depth         | -1 | --depth must be from 1 to 64, got -1",
      "moons         | --time-features | 3  | --time-features must be even, from 2 to 1024, got 3",
      "fashion-mnist | --base-channels | 12 | --base-channels must be a multiple of 8, from 8 to"
          + " 256, got 12",
  })
  void networkSizesOutOfRangeAreBadArguments(String dataset, String option, String value,
      String message, @TempDir Path tmp) throws Exception {
    CliRun outcome = dataset.equals("moons") ? train(tmp.resolve("a"), option, value)
        : trainImages(tmp.resolve("a"), option, value);
    assertThat(outcome.code()).isEqualTo(2);
    assertThat(outcome.err()).startsWith("error: " + message + "\n");
    assertThat(tmp).isEmptyDirectory();
  }

  @Test
  void dataDirIsRefusedWhereTheDataIsNotRead(@TempDir Path tmp) throws Exception {
    // It was ignored: a user who meant another data set got a model of this one.
    CliRun train = train(tmp.resolve("a"), "--data-dir", tmp.toString());
    assertThat(train.code()).isEqualTo(2);
    assertThat(train.err()).startsWith("error: --data-dir applies to fashion-mnist only; moons is"
        + " generated, not read from files\n");
    assertThat(tmp).isEmptyDirectory();

    Path bundled = Path.of(getClass().getResource("/models/moons-flow").toURI());
    CliRun evaluate = run("evaluate", "--model", bundled.toString(), "--data-dir",
        tmp.toString());
    assertThat(evaluate.code()).isEqualTo(2);
    assertThat(evaluate.err()).startsWith("error: --data-dir applies to fashion-mnist models only;"
        + " moons-flow is not one\n");
  }

  @Test
  void aModelIsADirectoryHoldingModelJson(@TempDir Path tmp) throws Exception {
    Path manifest = Path.of(getClass().getResource("/models/moons-flow/model.json").toURI());
    CliRun file = run("evaluate", "--model", manifest.toString());
    assertThat(file.code()).isEqualTo(2);
    assertThat(file.err()).startsWith("error: --model must be a model directory (holding"
        + " model.json); got a file: " + manifest + "\n");

    CliRun empty = run("evaluate", "--model", tmp.toString());
    assertThat(empty.code()).isEqualTo(2);
    assertThat(empty.err()).startsWith("error: --model must be a model directory (holding"
        + " model.json); " + tmp + " holds none\n");
  }

  @Test
  void optionsOfTheOtherNetworkAreRefused(@TempDir Path tmp) throws Exception {
    CliRun unet = train(tmp.resolve("a"), "--base-channels", "16", "--label-dropout", "0.2");
    assertThat(unet.code()).isEqualTo(2);
    assertThat(unet.err()).startsWith("error: --base-channels, --label-dropout: U-Net options,"
        + " but moons trains an MLP\n");

    CliRun mlp = trainImages(tmp.resolve("b"), "--hidden", "16");
    assertThat(mlp.code()).isEqualTo(2);
    assertThat(mlp.err()).startsWith("error: --hidden: MLP options, but fashion-mnist trains a"
        + " U-Net\n");
  }

  @Test
  void imagesOfAnotherSizeAreABadDataDirectory(@TempDir Path tmp) throws Exception {
    ByteBuffer images = ByteBuffer.allocate(16 + 4 * 8 * 8).putInt(0x0803).putInt(4).putInt(8)
        .putInt(8);
    Path imageFile = Files.write(tmp.resolve("train-images-idx3-ubyte"), images.array());
    Files.write(tmp.resolve("train-labels-idx1-ubyte"),
        ByteBuffer.allocate(12).putInt(0x0801).putInt(4).array());
    CliRun outcome = run("train", "--dataset", "fashion-mnist", "--data-dir", tmp.toString(),
        "--objective", "cfm", "--out", tmp.resolve("out").toString());
    assertThat(outcome.code()).isEqualTo(2);
    assertThat(outcome.err()).startsWith("error: " + imageFile + ": holds 8x8 images;"
        + " Fashion-MNIST's are 28x28\n");
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  @Test
  void aRunThatDivergesWritesNoModel(@TempDir Path tmp) {
    Path dir = tmp.resolve("nan");
    CliRun outcome = train(dir, "--lr", "1e30", "--warmup", "0", "--steps", "50");
    assertThat(outcome.code()).isEqualTo(1);
    assertThat(outcome.err().lines().reduce((first, second) -> second).orElseThrow())
        .matches("error: training diverged: the loss is (NaN|Infinity) at step \\d+; try a lower"
            + " learning rate");
    assertThat(tmp).isEmptyDirectory();
  }

  @Test
  void checkpointsOutliveTheFinalModel(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("ck");
    CliRun outcome = train(dir, "--steps", "4", "--warmup", "1", "--checkpoint-every", "2");
    assertThat(outcome.code()).as(outcome.err()).isZero();
    assertThat(ModelStore.readManifest(dir).training().steps()).isEqualTo(4);
    assertThat(ModelStore.readManifest(dir.resolve("checkpoints/step-2")).training().steps())
        .isEqualTo(2);

    // What an interrupted run leaves, its checkpoints, is no reason to refuse the next.
    Path interrupted = tmp.resolve("again");
    Files.createDirectories(interrupted.resolve("checkpoints/step-2"));
    CliRun again = train(interrupted, "--steps", "2", "--warmup", "1");
    assertThat(again.code()).as(again.err()).isZero();
  }

  @Test
  void evaluateChecksItsNumbersBeforeSampling() throws Exception {
    Path bundled = Path.of(getClass().getResource("/models/moons-flow").toURI());
    CliRun one = run("evaluate", "--model", bundled.toString(), "-n", "1");
    assertThat(one.code()).isEqualTo(2);
    assertThat(one.err()).startsWith("error: -n must be at least 2: the metrics compare samples"
        + " with each other, got 1\n");

    // Two billion samples ran the heap out (a stack trace); a million would take a day.
    CliRun huge = run("evaluate", "--model", bundled.toString(), "-n", "2000000000");
    assertThat(huge.code()).isEqualTo(2);
    assertThat(huge.err()).startsWith("error: -n must be at most 100000: the metrics compare"
        + " every pair of samples, got 2000000000\n");

    CliRun guidance = run("evaluate", "--model", bundled.toString(), "--guidance", "3");
    assertThat(guidance.code()).isEqualTo(2);
    assertThat(guidance.err()).startsWith("error: --guidance applies to class-conditional"
        + " models; moons-flow has no classes\n");
  }

  /** Trains a small MLP on moons with cfm for a few steps, unless the options say otherwise. */
  private static CliRun train(Path out, String... options) {
    List<String> args = new ArrayList<>(List.of("train", "--dataset", "moons", "--objective",
        "cfm", "--out", out.toString()));
    args.addAll(List.of(options));
    Map<String, String> defaults = Map.of("--steps", "3", "--batch-size", "16", "--hidden", "8",
        "--depth", "1", "--time-features", "4");
    defaults.forEach((option, value) -> {
      if (!args.contains(option)) {
        args.add(option);
        args.add(value);
      }
    });
    return run(args.toArray(String[]::new));
  }

  /** Trains a U-Net with cfm on the Fashion-MNIST subset in the test resources. */
  private CliRun trainImages(Path out, String... options) throws Exception {
    Path subset = Path.of(getClass().getResource("/fashion-mnist-subset").toURI());
    List<String> args = new ArrayList<>(List.of("train", "--dataset", "fashion-mnist",
        "--data-dir", subset.toString(), "--objective", "cfm", "--out", out.toString()));
    args.addAll(List.of(options));
    return run(args.toArray(String[]::new));
  }

  @Test
  void aMissingModelIsAOneLineError(@TempDir Path tmp) {
    CliRun outcome = run("evaluate", "--model", tmp.resolve("nowhere").toString());
    assertThat(outcome.code()).isEqualTo(2);
    assertThat(outcome.err().lines().findFirst().orElseThrow()).isEqualTo("error: --model must be"
        + " a model directory (holding model.json); " + tmp.resolve("nowhere") + " does not exist");
  }

  @Test
  void importPrintsWhatItResolvedAndRefusesWhatTheServiceWould(@TempDir Path tmp)
      throws Exception {
    Path flow = dev.streamline.models.store.ForeignConventionsTest.fixture("flow-sd3");
    CliRun ok = run("import", flow.toString());
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.out()).startsWith("flow-sd3: flow, shape [2], unconditional\n"
        + "  scheduler: FlowMatchEulerDiscreteScheduler\n"
        + "  process: linear\n"
        + "  schedule: {shift=3.0, timesteps=1000}\n"
        + "  parameterization: velocity\n"
        + "  timeInput: {type=sigma, scale=1000.0}\n"
        + "  preconditioning: {outputSign=-1.0}\n"
        + "  defaultOptions: {shift=3.0}\n"
        + "  defaultSampler: euler, 28 steps\n");
    assertThat(ok.out()).containsPattern("probe at t = 0\\.05: shape \\(4, 2\\), finite, round"
        + " trip within [0-9.]+e-[0-9]+\n");
    CliRun latent = run("import", dev.streamline.models.store.ForeignConventionsTest.fixture(
        "flow-sd3-latent").toString());
    assertThat(latent.code()).as(latent.err()).isZero();
    assertThat(latent.out()).containsPattern("\n  decoder: latents \\(2\\) -> data \\(3, 4, 4\\),"
        + " scaling_factor 1\\.5305, shift_factor 0\\.0609, with an encoder\n"
        + "  decoder probe: shape \\(4, 3, 4, 4\\), finite, encoder round trip within"
        + " [0-9.]+e-0[5-9]\n$");
    java.nio.file.Files.copy(flow.resolve("model.json"), tmp.resolve("model.json"));
    java.nio.file.Files.writeString(tmp.resolve("scheduler_config.json"),
        "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"use_dynamic_shifting\": true}");
    CliRun refused = run("import", tmp.toString());
    assertThat(refused.code()).isEqualTo(2);
    assertThat(refused.err()).startsWith("error: " + tmp.resolve("scheduler_config.json")
        + ": use_dynamic_shifting needs the resolution-dependent mu, which diffusers' pipelines"
        + " compute from the image size; give \"mu\" in model.json\n");
    CliRun none = run("import", tmp.resolve("nothing").toString());
    assertThat(none.code()).isEqualTo(2);
    assertThat(none.err()).startsWith("error: DIR must be a model directory holding model.json; "
        + tmp.resolve("nothing") + " holds none");
  }
}
