package dev.streamline.models.torchscript;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.Model;
import dev.streamline.sampler.NetworkConvention;
import dev.streamline.sampler.JacobianTrace;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.Parameterization;
import dev.streamline.sampler.SamplerOptions;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SamplingLoop;
import dev.streamline.sampler.SamplingResult;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Checks the Java side against outputs that PyTorch computed for the same archives; rebuild the
 * fixtures with {@code models/src/test/scripts/make-torchscript-fixture.py}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TorchScriptModelTest {

  private static final double TOLERANCE = 1e-5;
  private static final NoiseProcess FLOW = new NoiseProcess.LinearInterpolant();
  private static final Shape POINT = new Shape(2);

  @TempDir Path temp;

  private final NDManager manager = NDManager.newBaseManager();
  private JsonNode reference;
  private TorchScriptModel unconditional;
  private TorchScriptModel conditional;

  @BeforeAll
  void load() throws IOException, MalformedModelException {
    try (InputStream in = TorchScriptModelTest.class.getResourceAsStream(
        "/torchscript/reference.json")) {
      reference = new ObjectMapper().readTree(Objects.requireNonNull(in));
    }
    unconditional = load(reference.get("unconditional").get("file").asString(), 0);
    conditional = load(reference.get("conditional").get("file").asString(),
        reference.get("conditional").get("classCount").asInt());
  }

  @AfterAll
  void close() {
    unconditional.close();
    conditional.close();
    manager.close();
  }

  @Test
  void unconditionalMatchesPyTorch() {
    try (NDManager m = manager.newSubManager()) {
      NDArray out = unconditional.predict(x(m, DataType.FLOAT32), t(m, DataType.FLOAT32), null);

      assertThat(out.getDataType()).isEqualTo(DataType.FLOAT32);
      assertThat(out.getShape()).isEqualTo(new Shape(batch(), 2));
      assertMatches(out, reference.get("unconditional").get("output"));
    }
  }

  @Test
  void float64InputGivesFloat64OutputMatchingPyTorch() {
    try (NDManager m = manager.newSubManager()) {
      NDArray out = unconditional.predict(x(m, DataType.FLOAT64), t(m, DataType.FLOAT64), null);
      NDArray guided =
          conditional.predict(x(m, DataType.FLOAT64), t(m, DataType.FLOAT64), labels());

      assertThat(out.getDataType()).isEqualTo(DataType.FLOAT64);
      assertThat(guided.getDataType()).isEqualTo(DataType.FLOAT64);
      assertMatches(out, reference.get("unconditional").get("output"));
      assertMatches(guided, reference.get("conditional").get("output"));
    }
  }

  @Test
  void conditionalMatchesPyTorchWithNullLabelsOnTheNullClass() {
    try (NDManager m = manager.newSubManager()) {
      int[] labels = labels();
      assertThat(labels).contains(Model.NULL_LABEL);
      assertThat(reference.get("conditional").get("nullClass").asInt())
          .isEqualTo(conditional.classCount());

      NDArray out = conditional.predict(x(m, DataType.FLOAT32), t(m, DataType.FLOAT32), labels);

      assertMatches(out, reference.get("conditional").get("output"));
      // Rows 3 and 4 repeat the inputs of rows 0 and 1 with the null label: the class matters.
      double[] rows = out.toType(DataType.FLOAT64, false).toDoubleArray();
      assertThat(Math.abs(rows[6] - rows[0]) + Math.abs(rows[7] - rows[1])).isGreaterThan(1e-3);
    }
  }

  /** A network whose "unconditional" label is another index (model.json's nullLabel). */
  @Test
  void theNullLabelGoesToTheIndexTheModelNames() throws IOException, MalformedModelException {
    int classes = conditional.classCount();
    try (TorchScriptModel nullAtZero = TorchScriptModel.load(
            fixture(reference.get("conditional").get("file").asString()),
            new TorchScriptModel.Spec(FLOW, NetworkConvention.plain(Parameterization.VELOCITY),
                POINT, classes, 0, SamplerOptions.DEFAULT), Device.cpu(), false);
        NDManager m = manager.newSubManager()) {
      int[] allNull = new int[batch()];
      Arrays.fill(allNull, Model.NULL_LABEL);
      int[] zeros = new int[batch()];
      NDArray x = x(m, DataType.FLOAT32);
      NDArray t = t(m, DataType.FLOAT32);
      float[] moved = nullAtZero.predict(x, t, allNull).toFloatArray();
      assertThat(moved).containsExactly(conditional.predict(x, t, zeros).toFloatArray());
      assertThat(moved).isNotEqualTo(conditional.predict(x, t, allNull).toFloatArray());
    }
  }

  @Test
  void conditionalWithoutLabelsPredictsTheNullClass() {
    try (NDManager m = manager.newSubManager()) {
      int[] allNull = new int[batch()];
      Arrays.fill(allNull, Model.NULL_LABEL);
      NDArray x = x(m, DataType.FLOAT32);
      NDArray t = t(m, DataType.FLOAT32);

      double[] withoutLabels =
          conditional.predict(x, t, null).toType(DataType.FLOAT64, false).toDoubleArray();
      double[] nullLabels =
          conditional.predict(x, t, allNull).toType(DataType.FLOAT64, false).toDoubleArray();

      assertThat(withoutLabels).containsExactly(nullLabels);
    }
  }

  @Test
  void predictionBelongsToTheCallerAndCanBeUpdatedInPlace() {
    try (NDManager m = manager.newSubManager()) {
      NDArray x = x(m, DataType.FLOAT32);
      NDArray t = t(m, DataType.FLOAT32);

      NDArray out = unconditional.predict(x, t, null);

      assertThat(out.getManager()).isSameAs(m);
      assertThat(x.getManager()).isSameAs(m);
      assertThat(t.getManager()).isSameAs(m);
      double first = out.toType(DataType.FLOAT64, false).toDoubleArray()[0];
      out.addi(1f);
      assertThat(out.toType(DataType.FLOAT64, false).toDoubleArray()[0])
          .isCloseTo(first + 1, within(1e-6));
    }
  }

  @Test
  void graphOptimizerGivesTheSameOutputs() throws IOException, MalformedModelException {
    try (TorchScriptModel optimized = TorchScriptModel.load(
            fixture(reference.get("unconditional").get("file").asString()),
            TorchScriptModel.Spec.plain(Parameterization.VELOCITY, FLOW, POINT, 0), Device.cpu(),
            true);
        NDManager m = manager.newSubManager()) {
      assertThat(optimized.optimizeGraph()).isTrue();
      assertThat(unconditional.optimizeGraph()).isFalse();
      // The profiling executor switches to its optimized plan after the first calls.
      for (int call = 0; call < 3; call++) {
        NDArray out = optimized.predict(x(m, DataType.FLOAT32), t(m, DataType.FLOAT32), null);
        assertMatches(out, reference.get("unconditional").get("output"));
      }
    }
  }

  @Test
  void heunSamplesEndToEnd() {
    try (NDManager m = manager.newSubManager()) {
      SamplingResult result = SamplingLoop.sample(unconditional, SamplingJob.of("heun", 8, 4, 1), m);

      assertThat(result.samples().getShape()).isEqualTo(new Shape(4, 2));
      assertThat(result.nfe()).isEqualTo(16);
      assertThat(Arrays.stream(result.samples().toType(DataType.FLOAT64, false).toDoubleArray()))
          .allMatch(Double::isFinite);
    }
  }

  @Test
  void missingFileIsNamed() {
    Path missing = temp.resolve("absent.pt");

    assertThatThrownBy(() -> load(missing, 0))
        .isInstanceOf(FileNotFoundException.class)
        .hasMessage("TorchScript file " + missing + " does not exist");
  }

  @Test
  void garbageFileIsNotATorchScriptArchive() throws IOException {
    Path garbage = temp.resolve("garbage.pt");
    Files.writeString(garbage, "this is not a zip archive\n");

    assertThatThrownBy(() -> load(garbage, 0))
        .isInstanceOf(MalformedModelException.class)
        .hasMessageStartingWith(garbage + " is not a TorchScript archive (export the module with"
            + " torch.jit.script or torch.jit.trace and save it with torch.jit.save): ")
        .hasMessageNotContaining("\n");
  }

  @Test
  void probeRejectsAConditionalModuleLoadedAsUnconditional() {
    Path file = fixture(reference.get("conditional").get("file").asString());

    assertThatThrownBy(() -> load(file, 0))
        .isInstanceOf(MalformedModelException.class)
        .hasMessageStartingWith(file + ": the probe call forward(x, t) with x of shape (1, 2)"
            + " failed: ")
        .hasMessageContaining("missing value for argument 'y'")
        .hasMessageEndingWith(". Check sampleShape, and classCount: forward(x, t, y) needs"
            + " classCount > 0, forward(x, t) classCount = 0");
  }

  @Test
  void probeReportsTheErrorOfAWrongSampleShape() {
    Path file = fixture(reference.get("unconditional").get("file").asString());

    assertThatThrownBy(() -> TorchScriptModel.load(
            file, Parameterization.VELOCITY, FLOW, new Shape(3), 0, Device.cpu()))
        .isInstanceOf(MalformedModelException.class)
        .hasMessageStartingWith(file + ": the probe call forward(x, t) with x of shape (1, 3)"
            + " failed: RuntimeError: mat1 and mat2 shapes cannot be multiplied")
        .hasMessageNotContaining("\n");
  }

  @Test
  void probeRejectsAPredictionNotShapedLikeX() {
    Path file = fixture("first-coordinate.pt");

    assertThatThrownBy(() -> load(file, 0))
        .isInstanceOf(MalformedModelException.class)
        .hasMessage(file + ": forward(x, t) returned shape (1, 1) for x of shape (1, 2); a velocity"
            + " prediction must have the shape of x");
  }

  @Test
  void rejectsBadLabelsAndShapes() {
    try (NDManager m = manager.newSubManager()) {
      NDArray x = x(m, DataType.FLOAT32);
      NDArray t = t(m, DataType.FLOAT32);
      int[] outside = labels();
      outside[0] = conditional.classCount();

      assertThatThrownBy(() -> conditional.predict(x, t, outside))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("label 3 is outside [0, 3)");
      assertThatThrownBy(() -> conditional.predict(x, t, new int[] {0}))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("got 1 labels for a batch of " + batch());
      assertThatThrownBy(() -> unconditional.predict(x, t, labels()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageEndingWith("is unconditional; it takes no labels");
      assertThatThrownBy(() -> unconditional.predict(x.reshape(batch(), 2, 1), t, null))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("x has shape (6, 2, 1), expected (6, 2)");
    }
  }

  /**
   * Autograd reaches the input through the module: the exact Jacobian trace of the exported MLP
   * matches central finite differences of its own forward, and a module that detaches its output
   * is refused by name.
   */
  @Test
  void jacobianTracesGoThroughTheModule() throws IOException, MalformedModelException {
    try (NDManager m = manager.newSubManager()) {
      NDArray x = x(m, DataType.FLOAT64);
      NDArray t = t(m, DataType.FLOAT64);
      NDArray unit = m.eye(2).toType(DataType.FLOAT64, false).expandDims(0)
          .broadcast(new Shape(batch(), 2, 2));
      JacobianTrace.Traced traced = unconditional.traced(x, t, null, unit);
      assertThat(traced.prediction().toDoubleArray())
          .containsExactly(unconditional.predict(x, t, null).toDoubleArray(), within(1e-6));
      double h = 1e-3;
      double[] differences = new double[batch()];
      for (int j = 0; j < 2; j++) {
        NDArray step = m.zeros(new Shape(batch(), 2), DataType.FLOAT64);
        step.set(new ai.djl.ndarray.index.NDIndex(":, " + j), h);
        double[] up = unconditional.predict(x.add(step), t, null).get(":, " + j).toDoubleArray();
        double[] down = unconditional.predict(x.sub(step), t, null).get(":, " + j)
            .toDoubleArray();
        for (int i = 0; i < batch(); i++) {
          differences[i] += (up[i] - down[i]) / (2 * h);
        }
      }
      assertThat(traced.trace().toDoubleArray()).containsExactly(differences, within(1e-3));
      assertThat(java.util.Arrays.stream(differences).map(Math::abs).max().orElseThrow())
          .isGreaterThan(1e-2);
    }
    try (TorchScriptModel detached = load("detached.pt", 0); NDManager m = manager.newSubManager()) {
      NDArray unit = m.eye(2).expandDims(0).broadcast(new Shape(batch(), 2, 2));
      assertThatThrownBy(() -> detached.traced(x(m, DataType.FLOAT32), t(m, DataType.FLOAT32),
          null, unit))
          .isInstanceOf(JacobianTrace.NoGradientException.class)
          .hasMessageStartingWith("the network gives no gradient with respect to its input");
    }
  }

  @Test
  void closedModelRefusesToPredict() throws IOException, MalformedModelException {
    TorchScriptModel model = load(reference.get("unconditional").get("file").asString(), 0);
    model.close();
    model.close();

    try (NDManager m = manager.newSubManager()) {
      assertThatThrownBy(
              () -> model.predict(x(m, DataType.FLOAT32), t(m, DataType.FLOAT32), null))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageEndingWith("is closed");
    }
  }

  private TorchScriptModel load(String name, int classCount)
      throws IOException, MalformedModelException {
    return load(fixture(name), classCount);
  }

  private static TorchScriptModel load(Path file, int classCount)
      throws IOException, MalformedModelException {
    return TorchScriptModel.load(
        file, Parameterization.VELOCITY, FLOW, POINT, classCount, Device.cpu());
  }

  private static Path fixture(String name) {
    try {
      return Path.of(Objects.requireNonNull(
          TorchScriptModelTest.class.getResource("/torchscript/" + name)).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private int batch() {
    return reference.get("batch").asInt();
  }

  private NDArray x(NDManager m, DataType type) {
    return m.create(doubles(reference.get("x")), new Shape(batch(), 2)).toType(type, false);
  }

  private NDArray t(NDManager m, DataType type) {
    return m.create(doubles(reference.get("t"))).toType(type, false);
  }

  private int[] labels() {
    JsonNode node = reference.get("conditional").get("labels");
    int[] out = new int[node.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = node.get(i).asInt();
    }
    return out;
  }

  private static double[] doubles(JsonNode node) {
    double[] out = new double[node.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = node.get(i).asDouble();
    }
    return out;
  }

  private static void assertMatches(NDArray actual, JsonNode expected) {
    double[] got = actual.toType(DataType.FLOAT64, false).toDoubleArray();
    double[] want = doubles(expected);
    assertThat(got).hasSameSizeAs(want);
    for (int i = 0; i < want.length; i++) {
      assertThat(got[i]).as("entry %d", i).isCloseTo(want[i], within(TOLERANCE));
    }
  }
}
