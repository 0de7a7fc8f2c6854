package dev.streamline.sampler.diffusion;

import ai.djl.ndarray.NDArray;
import dev.streamline.sampler.Coefficients;
import dev.streamline.sampler.Estimate;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.SamplingLoop;
import dev.streamline.sampler.StepMethod;
import dev.streamline.sampler.VectorField;
import dev.streamline.sampler.ode.AdaptiveRungeKutta;
import dev.streamline.sampler.ode.EmbeddedPair;

/**
 * DPM-Solver with adaptive steps (Lu et al. 2022, section 3.3; k-diffusion's sample_dpm_adaptive):
 * DPM-Solver-3 with DPM-Solver-2 (r1 = 1/3) as its embedded companion, from the same three
 * evaluations, run by the adaptive driver that runs dopri5, so rtol, atol, maxNfe and the
 * per-sample step-size control are theirs. The solvers are exponential integrators in the
 * log-SNR lambda, written in x and (alpha, sigma): with h = lambda_t - lambda_s,
 * DPM-Solver-1 is (alpha_t/alpha_s)·x - sigma_t·(e^h - 1)·eps, and the higher orders add the
 * change of eps at intermediate log-SNRs s + r·h.
 *
 * <p>Their updates need a finite lambda at both ends. Where the process starts at pure noise
 * (lambda = -inf) the run first takes the DDIM step to lambda = -10 and where it ends at sigma = 0
 * it stops at lambda = 10 and takes the jump to the x0 estimate there: both are Euler steps in t
 * over a span of e^-10 of the process's scale, an error of about e^-20, below any tolerance.
 */
public final class DpmAdaptive implements StepMethod {

  private static final double R1 = 1 / 3.0;
  private static final double R2 = 2 / 3.0;

  private final AdaptiveRungeKutta solver = new AdaptiveRungeKutta(new Pair());

  @Override
  public NDArray run(SamplingLoop loop, NDArray x) {
    NoiseProcess p = loop.process();
    double start = loop.from();
    double end = loop.to();
    if (p.logSnr(start) < -NoiseProcess.LOG_SNR_LIMIT) {
      double next = p.timeAtLogSnr(-NoiseProcess.LOG_SNR_LIMIT);
      x = ddim(loop, x, start, next);
      start = next;
    }
    boolean clean = p.sigma(end) == 0;
    double stop = clean ? p.timeAtLogSnr(NoiseProcess.LOG_SNR_LIMIT) : end;
    x = solver.run(loop, x, start, stop);
    return clean ? ddim(loop, x, stop, end) : x;
  }

  /** The DDIM step alpha_to·x0 + sigma_to·eps, in a step of its own. */
  private static NDArray ddim(SamplingLoop loop, NDArray x, double from, double to) {
    NoiseProcess p = loop.process();
    try (SamplingLoop.Scope scope = loop.scope(x)) {
      Estimate e = loop.denoiser().estimate(x, from);
      NDArray next = e.x0().mul(p.alpha(to)).add(e.eps().mul(p.sigma(to)));
      double[] times = new double[(int) x.getShape().get(0)];
      java.util.Arrays.fill(times, to);
      scope.publish(next, loop.lastStep() + 1, times, null);
      return scope.keep(next);
    }
  }

  /** DPM-Solver-3 over DPM-Solver-2, on the field's eps at three log-SNRs. */
  private static final class Pair implements EmbeddedPair {

    @Override public String id() { return "dpm-adaptive"; }
    @Override public int order() { return 3; }
    @Override public int errorOrder() { return 2; }
    @Override public int evaluations() { return 3; }
    @Override public boolean fsal() { return false; }

    @Override
    public Attempt attempt(VectorField field, NoiseProcess p, NDArray x, double[] t, double[] h,
        int[] rows, NDArray first, boolean stiffness) {
      int n = t.length;
      double[] s1 = new double[n];
      double[] s2 = new double[n];
      double[] end = new double[n];
      double[][] c = new double[9][n];
      for (int i = 0; i < n; i++) {
        end[i] = t[i] + h[i];
        double lambda = p.logSnr(t[i]);
        double step = p.logSnr(end[i]) - lambda;
        s1[i] = p.timeAtLogSnr(lambda + R1 * step);
        s2[i] = p.timeAtLogSnr(lambda + R2 * step);
        double alpha = p.alpha(t[i]);
        // u1 = a1·x - b1·eps
        c[0][i] = p.alpha(s1[i]) / alpha;
        c[1][i] = p.sigma(s1[i]) * Math.expm1(R1 * step);
        // u2 = a2·x - b2·eps - d2·(eps1 - eps)
        double phi2 = Math.expm1(R2 * step);
        c[2][i] = p.alpha(s2[i]) / alpha;
        c[3][i] = p.sigma(s2[i]) * phi2;
        c[4][i] = p.sigma(s2[i]) * (R2 / R1) * (phi2 / (R2 * step) - 1);
        // DPM-Solver-1 at the end: a·x - b·eps, and the two corrections on it
        double sigmaEnd = p.sigma(end[i]);
        double phi = Math.expm1(step);
        c[5][i] = p.alpha(end[i]) / alpha;
        c[6][i] = sigmaEnd * phi;
        c[7][i] = sigmaEnd / (2 * R1) * phi;
        c[8][i] = sigmaEnd / R2 * (phi / step - 1);
      }
      NDArray f0 = first != null ? first : field.at(x, t, rows);
      NDArray eps = eps(p, x, t, f0);
      NDArray u1 = x.mul(col(c[0], x)).sub(eps.mul(col(c[1], x)));
      NDArray eps1 = eps(p, u1, s1, field.at(u1, s1, rows));
      NDArray u2 = x.mul(col(c[2], x)).sub(eps.mul(col(c[3], x)))
          .sub(eps1.sub(eps).mul(col(c[4], x)));
      NDArray eps2 = eps(p, u2, s2, field.at(u2, s2, rows));
      NDArray dpm1 = x.mul(col(c[5], x)).sub(eps.mul(col(c[6], x)));
      NDArray low = dpm1.sub(eps1.sub(eps).mul(col(c[7], x)));
      NDArray next = dpm1.sub(eps2.sub(eps).mul(col(c[8], x)));
      return new Attempt(next, low, f0, null, null);
    }

    /**
     * eps from the field: x = alpha·x0 + sigma·eps and v = alpha'·x0 + sigma'·eps give
     * eps = (alpha·v - alpha'·x)/(alpha·sigma' - alpha'·sigma), whose denominator is
     * -alpha·sigma·lambda', nonzero inside the span the run keeps to.
     */
    private static NDArray eps(NoiseProcess p, NDArray x, double[] t, NDArray v) {
      Coefficients k = Coefficients.of(p, t, x);
      return v.mul(k.alpha()).sub(x.mul(k.alphaDot()))
          .div(k.alpha().mul(k.sigmaDot()).sub(k.alphaDot().mul(k.sigma())));
    }

    private static NDArray col(double[] values, NDArray like) {
      return Coefficients.column(like.getManager(), values,
          Coefficients.broadcastShape(values.length, like.getShape().dimension()),
          like.getDataType());
    }
  }
}
