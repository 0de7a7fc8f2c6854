package dev.streamline.models.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.streamline.models.torchscript.LatentAutoencoder;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SamplingLoop;
import dev.streamline.sampler.analytic.GaussianMixtureModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A latent model (the fixture flow-sd3-latent: SD3's flow network on latents, SD3's VAE scaling,
 * a linear decoder and its pseudo-inverse as encoder, see make-convention-fixtures.py): its
 * latents are the closed-form ones, its decoder and encoder apply scaling_factor and shift_factor
 * exactly as diffusers does, and every way to get the directory wrong is refused by name.
 */
class LatentModelTest {

  private static final double SCALING = 1.5305;
  private static final double SHIFT = 0.0609;

  private static NDManager manager;

  @BeforeAll
  static void start() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void stop() {
    manager.close();
  }

  /** The fixture's decoder, in closed form: A u + b with u = z / scaling_factor + shift_factor. */
  private static double[] decoded(double z0, double z1) {
    double u0 = z0 / SCALING + SHIFT;
    double u1 = z1 / SCALING + SHIFT;
    double[] x = new double[48];
    for (int j = 0; j < 48; j++) {
      x[j] = 0.4 * Math.cos(0.3 * j) * u0 + 0.4 * Math.sin(0.7 * j) * u1 + 0.01 * (j - 24);
    }
    return x;
  }

  @Test
  void itsLatentsAreTheClosedFormOnesAndTheDecoderScalesThemAsDiffusersDoes() {
    try (NDManager scope = manager.newSubManager();
        ModelStore.Loaded loaded = ModelStore.load(ForeignConventionsTest.fixture(
            "flow-sd3-latent"), scope)) {
      LatentAutoencoder latent = loaded.autoencoder();
      assertThat(latent.latentShape()).isEqualTo(new Shape(2));
      assertThat(latent.dataShape()).isEqualTo(new Shape(3, 4, 4));
      assertThat(List.of(latent.scalingFactor(), latent.shiftFactor(), latent.canEncode()))
          .containsExactly(SCALING, SHIFT, true);
      SamplingJob job = SamplingJob.of("euler", 12, 32, 5).withDataType(DataType.FLOAT64);
      NDArray latents = SamplingLoop.sample(loaded.model(), job.forModel(loaded.model()), scope)
          .samples();
      NDArray exact = SamplingLoop.sample(new GaussianMixtureModel(ForeignConventionsTest.MIXTURE,
          loaded.conventions().process(), loaded.model().parameterization()),
          job.forModel(loaded.model()), scope).samples();
      assertThat(latents.sub(exact).abs().max().toType(DataType.FLOAT64, false).getDouble())
          .isLessThan(2e-3);

      double[] z = latents.toType(DataType.FLOAT64, false).toDoubleArray();
      NDArray data = latent.decode(latents);
      assertThat(data.getShape()).isEqualTo(new Shape(32, 3, 4, 4));
      assertThat(data.getDataType()).isEqualTo(DataType.FLOAT64);
      double[] got = data.toDoubleArray();
      double worst = 0;
      for (int i = 0; i < 32; i++) {
        double[] want = decoded(z[2 * i], z[2 * i + 1]);
        for (int j = 0; j < 48; j++) {
          worst = Math.max(worst, Math.abs(got[48 * i + j] - want[j]));
        }
      }
      // float32 modules; scaling multiplied instead of divided, or the shift left out, moves
      // values by 0.01 and more.
      assertThat(worst).isLessThan(1e-5);
      assertThat(latent.encode(data).sub(latents).abs().max().toType(DataType.FLOAT64, false)
          .getDouble()).as("encoder round trip").isLessThan(1e-4);
    }
  }

  @Test
  void aModelWithoutADecoderHasNone() {
    try (NDManager scope = manager.newSubManager();
        ModelStore.Loaded loaded = ModelStore.load(ForeignConventionsTest.fixture("flow-sd3"),
            scope)) {
      assertThat(loaded.autoencoder()).isNull();
    }
  }

  /** Each edit of model.json, the file its refusal names and what it says. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "no scaling|\"scaling_factor\": 1.5305,||model.json|: scaling_factor is missing: copy it"
          + " from the VAE's config.json (0.18215 for Stable Diffusion 1 and 2, 1.5305 for SD3;"
          + " 1 for latents that are not scaled)",
      "zero scaling|\"scaling_factor\": 1.5305|\"scaling_factor\": 0|model.json|:"
          + " scaling_factor must be a finite non-zero number, got 0.0",
      "no decoder|\"decoder\": \"decoder.pt\",||model.json|: an encoder needs a decoder beside"
          + " it",
      "decoder elsewhere|\"decoder.pt\"|\"../decoder.pt\"|model.json|: decoder and encoder"
          + " name files beside model.json, got '../decoder.pt'",
      "missing decoder|\"decoder.pt\"|\"vae.pt\"|vae.pt|: missing",
      "decoder not TorchScript|\"decoder.pt\"|\"model.json\"|model.json|' is not a"
          + " TorchScript archive'",
      "network as decoder|\"decoder.pt\"|\"model.pt\"|model.pt|: the probe call decoder"
          + " forward(z) with an input of shape (2, 2) failed:",
      "decoder as encoder|\"encoder.pt\"|\"decoder.pt\"|decoder.pt|: the probe call encoder"
          + " forward(x) with an input of shape (2, 3, 4, 4) failed:",
  })
  void aLatentModelDirectoryGotWrongIsRefusedByName(String name, String from, String to,
      String file, String message, @TempDir Path copy) throws IOException {
    Path fixture = ForeignConventionsTest.fixture("flow-sd3-latent");
    try (var files = Files.list(fixture)) {
      for (Path entry : files.toList()) {
        Files.copy(entry, copy.resolve(entry.getFileName()));
      }
    }
    String text = Files.readString(copy.resolve("model.json"));
    assertThat(text).contains(from);
    Files.writeString(copy.resolve("model.json"), text.replace(from, to == null ? "" : to));
    assertThatThrownBy(() -> ModelStore.load(copy, manager))
        .isInstanceOf(ModelStoreException.class)
        .hasMessageStartingWith(copy.resolve(file) + message);
  }
}
