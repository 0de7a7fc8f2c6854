package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class X0GuardTest {

  @Test
  void clipAndDynamicThresholdBoundX0AndKeepEpsConsistent() {
    try (NDManager manager = Engine.manager()) {
      NDArray x = manager.create(new double[] {0.5, -0.5, 0.2, 0.1}, new ai.djl.ndarray.types.Shape(2, 2));
      NDArray x0 = manager.create(new double[] {3.0, -1.0, 0.5, -0.25}, new ai.djl.ndarray.types.Shape(2, 2));
      Coefficients c = Coefficients.of(Engine.FLOW, new double[] {0.5, 0.5}, x);
      NDArray eps = x.sub(x0.mul(c.alpha())).div(c.sigma());
      Estimate e = new Estimate(x0, eps);

      Estimate clipped = X0Guard.clip(1.0).apply(e, x, c);
      assertThat(clipped.x0().toDoubleArray()).containsExactly(1.0, -1.0, 0.5, -0.25);

      // Percentile 0.99 of |x0| per sample: 3.0 for the first (rescaled by 1/3), below 1 for the
      // second (untouched).
      Estimate thresholded = X0Guard.dynamic(0.99).apply(e, x, c);
      assertThat(thresholded.x0().toDoubleArray()).containsExactly(1.0, -1 / 3.0, 0.5, -0.25);

      NDArray rebuilt = thresholded.x0().mul(c.alpha()).add(thresholded.eps().mul(c.sigma()));
      assertThat(Engine.maxError(rebuilt, x)).isLessThan(1e-12);
    }
    assertThatThrownBy(() -> X0Guard.dynamic(1.5))
        .hasMessage("dynamic-threshold percentile must be in (0, 1), got 1.5");
  }
}
