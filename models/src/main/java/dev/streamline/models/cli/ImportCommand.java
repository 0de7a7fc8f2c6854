package dev.streamline.models.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.streamline.models.store.ModelStore;
import dev.streamline.models.store.ModelStoreException;
import dev.streamline.models.torchscript.LatentAutoencoder;
import dev.streamline.sampler.Coefficients;
import dev.streamline.sampler.Estimate;
import dev.streamline.sampler.Model;
import dev.streamline.sampler.NoiseProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code import DIR}: checks a model directory as the service loads it and prints what it
 * resolved, so a model trained elsewhere is known to be understood before it is served.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
    description = "Check a model directory as the service would (every field resolved, one probe"
        + " evaluation per time: shape, finiteness, a round trip of the conversions) and print the"
        + " conventions it resolved. Exit 2, with the service's message, for what it cannot serve.")
final class ImportCommand implements Callable<Integer> {

  /** Relative error allowed in the round trip prediction → (x0, eps) → prediction, in float32. */
  private static final double ROUND_TRIP = 1e-3;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "DIR", description = "the model directory (holding model.json)")
  Path directory;

  @Override
  public Integer call() {
    if (!Files.isRegularFile(directory.resolve(ModelStore.MANIFEST))) {
      throw new CommandLine.ParameterException(spec.commandLine(), "DIR must be a model directory"
          + " holding " + ModelStore.MANIFEST + "; " + directory + " holds none");
    }
    try (NDManager manager = NDManager.newBaseManager();
        ModelStore.Loaded loaded = ModelStore.load(directory, manager)) {
      Model model = loaded.model();
      NoiseProcess process = model.process();
      var out = spec.commandLine().getOut();
      out.println(loaded.manifest().id() + ": " + loaded.conventions().kind() + ", shape "
          + loaded.manifest().shape() + (model.classCount() > 0
              ? ", " + model.classCount() + " classes" : ", unconditional"));
      for (Map.Entry<String, Object> e : loaded.conventions().describe().entrySet()) {
        out.println("  " + e.getKey() + ": " + e.getValue());
      }
      out.println("  defaultSampler: " + loaded.conventions().defaultSampler() + ", "
          + loaded.conventions().defaultSteps() + " steps");
      // Near both ends rather than at them, where some conversions divide by a vanishing alpha
      // or sigma.
      for (double u : new double[] {0.95, 0.5, 0.05}) {
        double t = process.timeAtNoiseFraction(u);
        out.println("  probe at t = " + (float) t + ": " + probe(model, t, manager));
      }
      LatentAutoencoder latent = loaded.autoencoder();
      if (latent != null) {
        out.println("  decoder: latents " + latent.latentShape() + " -> data "
            + latent.dataShape() + ", scaling_factor " + latent.scalingFactor()
            + ", shift_factor " + latent.shiftFactor()
            + (latent.canEncode() ? ", with an encoder" : ", no encoder"));
        out.println("  decoder probe: " + probe(latent, manager));
      }
      return 0;
    } catch (ModelStoreException | IllegalStateException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** One evaluation of four rows at time t: shape, finiteness and the conversions' round trip. */
  private static String probe(Model model, double t, NDManager manager) {
    try (NDManager scope = manager.newSubManager()) {
      Shape shape = new Shape(4).addAll(model.sampleShape());
      NDArray x = scope.randomNormal(shape).mul(model.process().sigma(t));
      double[] times = {t, t, t, t};
      int[] labels = model.classCount() > 0 ? new int[] {0, Model.NULL_LABEL, 0, 0} : null;
      NDArray prediction = model.predict(x, scope.create(new float[] {(float) t, (float) t,
          (float) t, (float) t}), labels);
      if (!prediction.getShape().equals(shape)) {
        throw new IllegalStateException("the network answers shape " + prediction.getShape()
            + " for x of shape " + shape);
      }
      if (!Double.isFinite(sum(prediction.abs()))) {
        throw new IllegalStateException("the network answers non-finite values at t = " + t);
      }
      Coefficients c = Coefficients.of(model.process(), times, x);
      Estimate estimate = model.parameterization().decompose(prediction, x, c);
      NDArray back = model.parameterization().compose(estimate, c);
      double error = sum(back.sub(prediction).abs()) / Math.max(sum(prediction.abs()), 1e-12);
      if (!(error < ROUND_TRIP)) {
        throw new IllegalStateException("the " + model.parameterization().id() + " prediction"
            + " does not survive the round trip to (x0, eps) at t = " + t + " (relative error "
            + error + ")");
      }
      return "shape " + prediction.getShape() + ", finite, round trip within "
          + String.format("%.1e", error);
    }
  }

  /** Four unit-normal latents decoded (and encoded back): shapes, finiteness, round trip. */
  private static String probe(LatentAutoencoder latent, NDManager manager) {
    try (NDManager scope = manager.newSubManager()) {
      NDArray z = scope.randomNormal(new Shape(4).addAll(latent.latentShape()));
      NDArray decoded = latent.decode(z);
      if (!Double.isFinite(sum(decoded.abs()))) {
        throw new IllegalStateException("the decoder answers non-finite values");
      }
      String out = "shape " + decoded.getShape() + ", finite";
      if (latent.canEncode()) {
        // A VAE is not exactly invertible: the round trip is reported, not held to a bound.
        double error = sum(latent.encode(decoded).sub(z).abs()) / sum(z.abs());
        out += ", encoder round trip within " + String.format("%.1e", error);
      }
      return out;
    }
  }

  private static double sum(NDArray values) {
    return values.sum().toType(DataType.FLOAT64, false).getDouble();
  }
}
