package dev.streamline.models.torchscript;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import dev.streamline.sampler.Coefficients;
import dev.streamline.sampler.JacobianTrace;
import dev.streamline.sampler.Model;
import dev.streamline.sampler.NetworkConvention;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.Parameterization;
import dev.streamline.sampler.SamplerOptions;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A {@link Model} whose predictions come from a TorchScript module exported from PyTorch
 * ({@code torch.jit.script} or {@code torch.jit.trace}, then {@code torch.jit.save}) and run by
 * DJL's PyTorch engine.
 *
 * <p>The module's forward is {@code forward(x, t)} for an unconditional model and {@code forward(x,
 * t, y)} for a class-conditional one (classCount &gt; 0): x float32 [B, ...sampleShape], t float32
 * [B], y int64 [B] with the null class at index {@code nullLabel} (by default classCount), which
 * {@link Model#NULL_LABEL} and a null label array select. It must return one tensor shaped like
 * x. What x, t and the output mean is the model's {@link NetworkConvention}: a network trained
 * elsewhere receives c_in·x and its own time number, and its output is combined into the
 * prediction here, so samplers see an ordinary model. Inputs in another data type or on another
 * device are converted for the module and the prediction is converted back, so float64 sampling
 * runs a float32 network; the module's parameters stay where they were loaded
 * ({@link TorchScriptModule}).
 *
 * <p>Predictions may run on several threads at once. Close the model once none is in flight.
 */
public final class TorchScriptModel implements Model, AutoCloseable {

  private final TorchScriptModule module;
  private final Spec spec;

  /**
   * What the module is and how to drive it.
   *
   * @param sampleShape shape of one sample, without the batch dimension
   * @param classCount classes of a conditional model, whose forward then takes labels; 0 for an
   *     unconditional {@code forward(x, t)}
   * @param nullLabel the module's label for "no class", in [0, classCount]
   * @param defaults the options jobs get where they set none ({@link Model#defaultOptions})
   */
  public record Spec(NoiseProcess process, NetworkConvention convention, Shape sampleShape,
      int classCount, int nullLabel, SamplerOptions defaults) {
    public Spec {
      Objects.requireNonNull(process, "process");
      Objects.requireNonNull(convention, "convention");
      Objects.requireNonNull(sampleShape, "sampleShape");
      Objects.requireNonNull(defaults, "defaults");
      if (classCount < 0) {
        throw new IllegalArgumentException("classCount must be >= 0, got " + classCount);
      }
      if (classCount > 0 && (nullLabel < 0 || nullLabel > classCount)) {
        throw new IllegalArgumentException("nullLabel must be in [0, " + classCount + "], got "
            + nullLabel);
      }
    }

    /** A network in Streamline's own convention, with the null class at index classCount. */
    public static Spec plain(Parameterization parameterization, NoiseProcess process,
        Shape sampleShape, int classCount) {
      return new Spec(process, NetworkConvention.plain(parameterization), sampleShape,
          classCount, classCount, SamplerOptions.DEFAULT);
    }
  }

  private TorchScriptModel(TorchScriptModule module, Spec spec) {
    this.module = module;
    this.spec = spec;
  }

  /** A network in Streamline's own convention, loaded with the graph optimizer off. */
  public static TorchScriptModel load(Path file, Parameterization parameterization,
      NoiseProcess process, Shape sampleShape, int classCount, Device device)
      throws IOException, MalformedModelException {
    Objects.requireNonNull(parameterization, "parameterization");
    return load(file, Spec.plain(parameterization, process, sampleShape, classCount), device,
        false);
  }

  /**
   * Loads a TorchScript archive onto a device and checks it with a one-sample call.
   *
   * @param file the archive written by {@code torch.jit.save}
   * @param device where the module's parameters live and its forward runs
   * @param optimizeGraph whether TorchScript's graph executor optimizes the module
   * @throws FileNotFoundException if there is no file at {@code file}
   * @throws MalformedModelException if the file is not a TorchScript archive, or the probe call
   *     fails or returns a prediction not shaped like its input
   */
  public static TorchScriptModel load(Path file, Spec spec, Device device,
      boolean optimizeGraph) throws IOException, MalformedModelException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(device, "device");
    TorchScriptModule module = TorchScriptModule.load(file, device, optimizeGraph);
    try {
      TorchScriptModel model = new TorchScriptModel(module, spec);
      model.probe();
      return model;
    } catch (Throwable e) {
      module.close();
      throw e;
    }
  }

  /** The archive this model was loaded from. */
  public Path file() {
    return module.file();
  }

  public Device device() {
    return module.device();
  }

  public boolean optimizeGraph() {
    return module.optimizeGraph();
  }

  public NetworkConvention convention() {
    return spec.convention();
  }

  @Override
  public Parameterization parameterization() {
    return spec.convention().parameterization();
  }

  @Override
  public NoiseProcess process() {
    return spec.process();
  }

  @Override
  public Shape sampleShape() {
    return spec.sampleShape();
  }

  @Override
  public int classCount() {
    return spec.classCount();
  }

  @Override
  public SamplerOptions defaultOptions() {
    return spec.defaults();
  }

  /**
   * {@inheritDoc}
   *
   * <p>The prediction belongs to x's manager and is an ordinary tensor that callers may update in
   * place.
   */
  @Override
  public NDArray predict(NDArray x, NDArray t, int[] labels) {
    if (!(x instanceof PtNDArray)) {
      throw new IllegalArgumentException("TorchScript model " + file()
          + " needs arrays of the PyTorch engine, got one of " + x.getManager().getEngine());
    }
    Shape expected = new Shape(x.getShape().get(0)).addAll(spec.sampleShape());
    if (!x.getShape().equals(expected)) {
      throw new IllegalArgumentException("x has shape " + x.getShape() + ", expected " + expected);
    }
    if (!t.getShape().equals(new Shape(expected.get(0)))) {
      throw new IllegalArgumentException("t has shape " + t.getShape() + ", expected one time per"
          + " sample: (" + expected.get(0) + ")");
    }
    checkLabels(labels, expected.get(0));
    NDArray prediction = forward(x, t, labels);
    if (!prediction.getShape().equals(x.getShape())) {
      prediction.close();
      throw new IllegalStateException(shapeMismatch(prediction.getShape(), x.getShape()));
    }
    return prediction;
  }

  /**
   * {@inheritDoc}
   *
   * <p>In float32, the module's own type: the engine's type casts do not carry gradients, so a
   * float64 caller's arrays are narrowed before autograd starts, and the answer widened back.
   */
  @Override
  public JacobianTrace.Traced traced(NDArray x, NDArray t, int[] labels, NDArray probes) {
    return JacobianTrace.inFloat32(this, x, t, labels, probes);
  }

  @Override
  public void close() {
    module.close();
  }

  /**
   * One sample at the middle of the time range: it proves the signature and output shape before
   * any request depends on them, and pays the module's first-call setup up front.
   */
  private void probe() throws MalformedModelException {
    try (NDManager scratch = module.manager().newSubManager()) {
      NDArray x = scratch.zeros(new Shape(1).addAll(spec.sampleShape()), DataType.FLOAT32);
      NoiseProcess process = spec.process();
      float middle = (float) (0.5 * (process.noiseTime() + process.dataTime()));
      NDArray t = scratch.create(new float[] {middle});
      NDArray prediction;
      try {
        prediction = forward(x, t, null);
      } catch (EngineException e) {
        throw new MalformedModelException(file() + ": the probe call " + signature()
            + " with x of shape " + x.getShape() + " failed: " + TorchScriptModule.summary(e)
            + ". Check"
            + " sampleShape, and classCount: forward(x, t, y) needs classCount > 0, forward(x, t)"
            + " classCount = 0", e);
      } catch (IllegalStateException e) {
        throw new MalformedModelException(e.getMessage(), e);
      }
      if (!prediction.getShape().equals(x.getShape())) {
        throw new MalformedModelException(shapeMismatch(prediction.getShape(), x.getShape()));
      }
    }
  }

  private NDArray forward(NDArray x, NDArray t, int[] labels) {
    NDManager home = x.getManager();
    try (PtNDManager scope = (PtNDManager) home.newSubManager()) {
      // Borrowed, so that every conversion below lands in the scope and is freed with it.
      scope.tempAttachAll(x, t);
      NetworkConvention convention = spec.convention();
      double[] times = convention.isPlain() ? null
          : t.toType(DataType.FLOAT64, false).toDoubleArray();
      NDArray xIn = (times == null ? x : x.mul(column(convention::inputScale, times, x)))
          .toDevice(device(), false).toType(DataType.FLOAT32, false);
      NDArray tIn = times == null ? t.toDevice(device(), false).toType(DataType.FLOAT32, false)
          : scope.create(networkTimes(convention, times)).toDevice(device(), false);
      NDArray raw;
      if (spec.classCount() > 0) {
        NDArray yIn = scope.create(moduleLabels(labels, x.getShape().get(0))).toDevice(device(),
            false);
        raw = module.forward(scope, signature(), xIn, tIn, yIn);
      } else {
        raw = module.forward(scope, signature(), xIn, tIn);
      }
      NDArray prediction = raw.toDevice(x.getDevice(), false).toType(x.getDataType(), false);
      if (times != null && prediction.getShape().equals(x.getShape())) {
        prediction = prediction.mul(column(convention::outputScale, times, x));
        if (convention.sigmaData() > 0) {
          prediction = prediction.add(x.mul(column(convention::skip, times, x)));
        }
      }
      if (prediction == raw && !JacobianTrace.recording()) {
        // Inference-mode tensors refuse in-place updates outside inference mode; the caller owns
        // the prediction and may update it, so it gets an ordinary copy (not while recording: the
        // engine's copy leaves the graph, and a recorded output is an ordinary tensor).
        prediction = raw.duplicate();
      }
      prediction.attach(home);
      return prediction;
    }
  }

  /** One coefficient per row, shaped to broadcast against x. */
  private NDArray column(Coefficient coefficient, double[] times, NDArray x) {
    double[] values = new double[times.length];
    for (int i = 0; i < times.length; i++) {
      values[i] = coefficient.at(spec.process(), times[i]);
    }
    return Coefficients.column(x.getManager(), values,
        Coefficients.broadcastShape(times.length, x.getShape().dimension()), x.getDataType());
  }

  private interface Coefficient {
    double at(NoiseProcess process, double t);
  }

  private float[] networkTimes(NetworkConvention convention, double[] times) {
    float[] out = new float[times.length];
    for (int i = 0; i < times.length; i++) {
      out[i] = (float) convention.timeInput().at(spec.process(), times[i]);
    }
    return out;
  }

  private void checkLabels(int[] labels, long batch) {
    if (labels == null) {
      return;
    }
    int classCount = spec.classCount();
    if (classCount == 0) {
      throw new IllegalArgumentException(
          "TorchScript model " + file() + " is unconditional; it takes no labels");
    }
    if (labels.length != batch) {
      throw new IllegalArgumentException(
          "got " + labels.length + " labels for a batch of " + batch);
    }
    for (int label : labels) {
      if (label != NULL_LABEL && (label < 0 || label >= classCount)) {
        throw new IllegalArgumentException(
            "label " + label + " is outside [0, " + classCount + ")");
      }
    }
  }

  /** The module's y: {@link #NULL_LABEL}, and every row when labels is null, become nullLabel. */
  private long[] moduleLabels(int[] labels, long batch) {
    long[] y = new long[Math.toIntExact(batch)];
    for (int i = 0; i < y.length; i++) {
      int label = labels == null ? NULL_LABEL : labels[i];
      y[i] = label == NULL_LABEL ? spec.nullLabel() : label;
    }
    return y;
  }

  private String signature() {
    return spec.classCount() > 0 ? "forward(x, t, y)" : "forward(x, t)";
  }

  private String shapeMismatch(Shape got, Shape input) {
    return file() + ": " + signature() + " returned shape " + got + " for x of shape " + input
        + "; a " + parameterization().id() + " prediction must have the shape of x";
  }
}
