package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.streamline.sampler.analytic.GaussianMixtureModel;
import org.junit.jupiter.api.Test;

/** Every parameterization decomposes into and composes from the same (x0, eps). */
class ParameterizationTest extends ManagedTest {

  @Test
  void everyParameterizationRoundTripsOnEveryProcess() {
    for (NoiseProcess process : NoiseProcessTest.processes()) {
      NDArray x = Engine.latents(manager, 16, 3).mul(2);
      double[] t = new double[16];
      for (int i = 0; i < t.length; i++) {
        t[i] = process.timeAtNoiseFraction(0.05 + 0.9 * i / 15);
      }
      Coefficients c = Coefficients.of(process, t, x);
      NDArray eps = Engine.latents(manager, 16, 4);
      NDArray x0 = x.sub(eps.mul(c.sigma())).div(c.alpha());
      Estimate truth = new Estimate(x0, eps);
      for (Parameterization p : Parameterization.values()) {
        Estimate back = p.decompose(p.compose(truth, c), x, c);
        assertThat(Engine.maxError(back.x0(), x0)).as("%s on %s", p, process.id())
            .isLessThan(1e-9);
        assertThat(Engine.maxError(back.eps(), eps)).as("%s on %s", p, process.id())
            .isLessThan(1e-9);
      }
    }
  }

  @Test
  void modelsInDifferentParameterizationsAgree() {
    NDArray x = Engine.latents(manager, 32, 5);
    for (NoiseProcess process : NoiseProcessTest.processes()) {
      double t = process.timeAtNoiseFraction(0.4);
      double[] times = new double[32];
      java.util.Arrays.fill(times, t);
      NDArray reference = null;
      for (Parameterization p : Parameterization.values()) {
        Denoiser d = new Denoiser(new GaussianMixtureModel(Engine.MIXTURE, process, p), null, 1.0,
            X0Guard.NONE);
        NDArray velocity = d.velocity(x, times, null);
        if (reference == null) {
          reference = velocity;
        } else {
          assertThat(Engine.maxError(velocity, reference)).as("%s on %s", p, process.id())
              .isLessThan(1e-9);
        }
      }
    }
  }

  @Test
  void analyticVelocityIsTheTimeDerivativeOfTheFlow() {
    // d/dt E[x_t] along the flow equals E[velocity]: compare the mixture mean's path.
    NDArray x = Engine.latents(manager, 4, 9).toType(DataType.FLOAT64, false);
    Denoiser d = new Denoiser(Engine.flowModel(), null, 1.0, X0Guard.NONE);
    NDArray atZero = d.velocity(x, new double[] {0, 0, 0, 0}, null);
    double[] mean = new double[2];
    double[] w = Engine.MIXTURE.weights();
    for (int k = 0; k < w.length; k++) {
      mean[0] += w[k] * Engine.MIXTURE.means().get(k)[0];
      mean[1] += w[k] * Engine.MIXTURE.means().get(k)[1];
    }
    // At t = 0, x is pure noise, so E[x0 | x] is the data mean and the velocity is mean - x.
    NDArray expected = manager.create(mean).reshape(1, 2).sub(x);
    assertThat(Engine.maxError(atZero, expected)).isLessThan(1e-12);
  }
}
