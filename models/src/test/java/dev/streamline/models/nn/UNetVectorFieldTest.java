package dev.streamline.models.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.streamline.sampler.Model;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.Parameterization;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UNetVectorFieldTest {

  private static final int CLASSES = 10;
  private static final Shape IMAGE = new Shape(1, 28, 28);

  private static UNetVectorField initialised(NDManager manager, int batch) {
    Engine.getInstance().setRandomSeed(3);
    UNetVectorField net = new UNetVectorField(CLASSES);
    net.initialize(manager, DataType.FLOAT32, new Shape(batch).addAll(IMAGE), new Shape(batch),
        new Shape(batch));
    return net;
  }

  private static NDArray run(UNetVectorField net, NDArray x, NDArray t, int... labels) {
    ParameterStore store = new ParameterStore(x.getManager(), false);
    return net.forward(store, new NDList(x, t, x.getManager().create(labels)), false)
        .singletonOrThrow();
  }

  @Test
  void mapsImagesToImagesOfTheSameShape() {
    try (NDManager manager = NDManager.newBaseManager()) {
      UNetVectorField net = initialised(manager, 3);
      NDArray x = manager.randomNormal(new Shape(3).addAll(IMAGE));
      NDArray out = run(net, x, manager.create(new float[] {0f, 0.5f, 1f}), 0, 4, CLASSES);

      assertThat(out.getShape()).isEqualTo(new Shape(3, 1, 28, 28));
      assertThat(out.getDataType()).isEqualTo(DataType.FLOAT32);
      assertThat(out.isInfinite().any().getBoolean() || out.isNaN().any().getBoolean()).isFalse();
    }
  }

  @Test
  void theNullClassAndEachRealClassGiveDifferentOutputs() {
    try (NDManager manager = NDManager.newBaseManager()) {
      UNetVectorField net = initialised(manager, 1);
      // One image under every label, the null class last, then again under label 2 and under
      // label 2 at another time; one batch, since each forward pass has a fixed cost.
      int rows = CLASSES + 3;
      NDArray x = manager.randomNormal(new Shape(1).addAll(IMAGE)).repeat(0, rows);
      float[] times = new float[rows];
      int[] labels = new int[rows];
      for (int i = 0; i < rows; i++) {
        times[i] = 0.3f;
        labels[i] = Math.min(i, CLASSES);
      }
      labels[CLASSES + 1] = 2;
      labels[CLASSES + 2] = 2;
      times[CLASSES + 2] = 0.9f;
      NDArray out = run(net, x, manager.create(times), labels);

      NDArray nullClass = out.get(CLASSES);
      for (int label = 0; label < CLASSES; label++) {
        // The output convolution starts at weights of scale 1e-3, so outputs are of order 1e-3.
        assertThat(gap(out.get(label), nullClass)).as("class %d vs null", label)
            .isGreaterThan(1e-6f);
      }
      assertThat(gap(out.get(CLASSES + 1), out.get(2))).isZero();
      assertThat(gap(out.get(CLASSES + 2), out.get(2))).isGreaterThan(1e-6f);
    }
  }

  private static float gap(NDArray a, NDArray b) {
    return a.sub(b).abs().max().getFloat();
  }

  @Test
  void isSmallAndEveryParameterLearns() {
    try (NDManager manager = NDManager.newBaseManager()) {
      UNetVectorField net = initialised(manager, 4);
      long count = 0;
      for (Pair<String, Parameter> p : net.getParameters()) {
        count += p.getValue().getArray().size();
      }
      assertThat(count).isBetween(500_000L, 1_500_000L);

      NDArray x = manager.randomNormal(new Shape(4).addAll(IMAGE));
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray out = net.forward(new ParameterStore(manager, false), new NDList(x,
            manager.create(new float[] {0.1f, 0.4f, 0.7f, 1f}),
            manager.create(new int[] {0, 5, 9, CLASSES})), true).singletonOrThrow();
        collector.backward(out.sub(x).square().mean());
      }
      List<String> untouched = new ArrayList<>();
      for (Pair<String, Parameter> p : net.getParameters()) {
        if (p.getValue().getArray().getGradient().abs().sum().getFloat() == 0f) {
          untouched.add(p.getKey());
        }
      }
      assertThat(untouched).isEmpty();
    }
  }

  @Test
  void answersTheSamplerThroughNetworkModelWithNullLabels() {
    try (NDManager manager = NDManager.newBaseManager()) {
      UNetVectorField net = initialised(manager, 1);
      NDArray x = manager.randomNormal(new Shape(2).addAll(IMAGE));
      NDArray t = manager.create(new float[] {0.5f, 0.5f});
      NDArray direct = run(net, x, t, 7, CLASSES);

      NetworkModel model = new NetworkModel(net, new NoiseProcess.LinearInterpolant(),
          Parameterization.VELOCITY, IMAGE, CLASSES);
      NDArray viaModel = model.predict(x.toType(DataType.FLOAT64, false), t,
          new int[] {7, Model.NULL_LABEL});

      assertThat(viaModel.getDataType()).isEqualTo(DataType.FLOAT64);
      assertThat(viaModel.toType(DataType.FLOAT32, false).sub(direct).abs().max().getFloat())
          .isLessThan(1e-6f);
    }
  }

  @Test
  void savedWeightsLoadIntoAFreshNetwork() throws Exception {
    try (NDManager manager = NDManager.newBaseManager()) {
      UNetVectorField net = initialised(manager, 1);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      net.saveParameters(new DataOutputStream(bytes));

      Engine.getInstance().setRandomSeed(99);
      UNetVectorField copy = new UNetVectorField(CLASSES);
      copy.initialize(manager, DataType.FLOAT32, new Shape(1).addAll(IMAGE), new Shape(1));
      copy.loadParameters(manager,
          new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));

      NDArray x = manager.randomNormal(new Shape(2).addAll(IMAGE));
      NDArray t = manager.create(new float[] {0.2f, 0.8f});
      assertThat(run(copy, x, t, 1, CLASSES).toFloatArray())
          .containsExactly(run(net, x, t, 1, CLASSES).toFloatArray());
    }
  }

  @Test
  void anUnconditionalNetworkTakesNoLabels() {
    try (NDManager manager = NDManager.newBaseManager()) {
      UNetVectorField net = new UNetVectorField(16, new int[] {1, 2}, 0);
      net.initialize(manager, DataType.FLOAT32, new Shape(2).addAll(IMAGE), new Shape(2));
      NDArray out = net.forward(new ParameterStore(manager, false),
          new NDList(manager.zeros(new Shape(2).addAll(IMAGE)), manager.ones(new Shape(2))),
          false).singletonOrThrow();

      assertThat(out.getShape()).isEqualTo(new Shape(2, 1, 28, 28));
    }
  }

  @Test
  void rejectsImagesTheLevelsCannotHalve() {
    try (NDManager manager = NDManager.newBaseManager()) {
      UNetVectorField net = new UNetVectorField(CLASSES);
      assertThatThrownBy(() -> net.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 30, 30),
          new Shape(1), new Shape(1)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiples of 4");
      assertThatThrownBy(() -> new UNetVectorField(12, new int[] {1, 2}, CLASSES))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
