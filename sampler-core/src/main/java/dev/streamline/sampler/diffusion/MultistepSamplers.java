package dev.streamline.sampler.diffusion;

import ai.djl.ndarray.NDArray;
import dev.streamline.sampler.Estimate;
import dev.streamline.sampler.FixedStepMethod;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.SamplerOption;
import dev.streamline.sampler.SamplerOptions;
import dev.streamline.sampler.SamplingLoop.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.function.ToIntFunction;

/**
 * The linear multistep samplers of k-diffusion and ComfyUI: one evaluation per step, with the
 * estimates of earlier steps standing in for the extra stages of a Runge–Kutta method. Most are
 * written, as k-diffusion writes them, in the variables of Karras et al., y = x/alpha and
 * s = sigma/alpha, where the probability-flow ODE is dy/ds = eps; a step is then
 * y_next = y + sum_j c_j·eps_{i-j} with sum_j c_j = s_next - s. Here it is taken in x, as the
 * DDIM step alpha_next·x0 + sigma_next·eps (the c_0-only Euler step, finite at alpha = 0) plus
 * alpha_next·sum_{j>=1} c_j·(eps_{i-j} - eps_i), so it runs on every process. From pure noise
 * (s = inf) only that Euler limit exists; each method starts with lower orders while its history
 * fills (its warm-up).
 */
public final class MultistepSamplers {

  private MultistepSamplers() {}

  /**
   * Linear multistep of order 4 in sigma (k-diffusion's sample_lms): eps as the polynomial through
   * the last four estimates over s, integrated exactly over the step, c_j = ∫ ℓ_j(s) ds with
   * ℓ_j the Lagrange basis of the (non-uniform) nodes s_i, s_{i-1}, ...
   */
  public static FixedStepMethod lms() {
    return new LagrangeMultistep(options -> 4, Variable.SIGMA);
  }

  /**
   * DEIS with its time-based Adams–Bashforth weights (tAB-DEIS, Zhang &amp; Chen 2022, as
   * ComfyUI's deis): eps as the polynomial in the process's own time t through the last
   * {@code solverOrder} estimates, integrated exactly against dy = ds, c_j = ∫ ℓ_j(t(s)) ds.
   */
  public static FixedStepMethod deis() {
    return new LagrangeMultistep(options -> options.integer(SamplerOption.SOLVER_ORDER, 3),
        Variable.TIME);
  }

  /** The variable eps is interpolated in: s, infinite at pure noise, or t, finite there. */
  private enum Variable {
    SIGMA {
      @Override double at(NoiseProcess p, double t) { return p.edmSigma(t); }
      @Override double ofSigma(NoiseProcess p, double s) { return s; }
    },
    TIME {
      @Override double at(NoiseProcess p, double t) { return t; }
      @Override double ofSigma(NoiseProcess p, double s) { return p.timeAtLogSnr(-Math.log(s)); }
    };

    abstract double at(NoiseProcess p, double t);

    abstract double ofSigma(NoiseProcess p, double s);
  }

  /** One run of lms or deis. */
  private static final class LagrangeMultistep implements FixedStepMethod {

    private final ToIntFunction<SamplerOptions> order;
    private final Variable variable;
    private History history;

    LagrangeMultistep(ToIntFunction<SamplerOptions> order, Variable variable) {
      this.order = order;
      this.variable = variable;
    }

    @Override
    public NDArray step(Step step, NDArray x) {
      NoiseProcess p = step.process();
      if (history == null) {
        history = new History(order.applyAsInt(step.options()) - 1);
      }
      double t = step.t();
      Estimate e = step.denoiser().estimate(x, t);
      double node = variable.at(p, t);
      double[] c = history.size() == 0 ? new double[1]
          : lagrangeIntegrals(history.nodesWith(node), p.edmSigma(t), p.edmSigma(step.tNext()),
              s -> variable.ofSigma(p, s));
      NDArray next = corrected(step, e, history, c);
      history.push(step, e.eps(), node);
      return next;
    }
  }

  /**
   * Improved PNDM (Zhang &amp; Chen 2022; ComfyUI's ipndm): the Adams–Bashforth weights of a
   * uniform grid, (1), (3, -1)/2, (23, -16, 5)/12, (55, -59, 37, -9)/24, applied to eps over
   * whatever step s_next - s is taken, with the lower orders while the history fills. On steps
   * equal in s that is lms; on any other grid the weights miss the steps' ratios by O(h), which
   * leaves it second order.
   */
  public static FixedStepMethod ipndm() {
    return new FixedStepMethod() {
      private final History history = new History(3);

      @Override
      public NDArray step(Step step, NDArray x) {
        NoiseProcess p = step.process();
        double s = p.edmSigma(step.t());
        Estimate e = step.denoiser().estimate(x, step.t());
        double h = p.edmSigma(step.tNext()) - s;
        double[] beta = ADAMS_BASHFORTH[history.size()];
        double[] c = new double[beta.length];
        for (int j = 0; j < beta.length; j++) {
          c[j] = h * beta[j];
        }
        NDArray next = corrected(step, e, history, c);
        history.push(step, e.eps(), s);
        return next;
      }
    };
  }

  /** Adams–Bashforth weights of orders 1 to 4 on a uniform grid, newest estimate first. */
  private static final double[][] ADAMS_BASHFORTH = {
      {1},
      {3 / 2.0, -1 / 2.0},
      {23 / 12.0, -16 / 12.0, 5 / 12.0},
      {55 / 24.0, -59 / 24.0, 37 / 24.0, -9 / 24.0}};

  /**
   * The step y + sum_j c_j·eps_{i-j} in x: alpha_next·x0 + sigma_next·eps, then
   * alpha_next·c_j·(eps_{i-j} - eps_i) for each estimate of the history.
   *
   * @param c one weight per node, the current estimate's first
   */
  private static NDArray corrected(Step step, Estimate e, History history, double[] c) {
    NoiseProcess p = step.process();
    double alphaNext = p.alpha(step.tNext());
    NDArray next = e.x0().mul(alphaNext).add(e.eps().mul(p.sigma(step.tNext())));
    for (int j = 1; j < c.length; j++) {
      next = next.add(history.get(j - 1).sub(e.eps()).mul(alphaNext * c[j]));
    }
    return next;
  }

  /**
   * ∫ ℓ_j(u(s)) ds from s to sNext for each node u_j, ℓ_j the Lagrange basis of the nodes, by
   * five-point Gauss–Legendre, which is exact where u(s) = s (polynomials of degree up to 9).
   */
  static double[] lagrangeIntegrals(double[] nodes, double s, double sNext,
      DoubleUnaryOperator variable) {
    double[] out = new double[nodes.length];
    double half = 0.5 * (sNext - s);
    double middle = 0.5 * (sNext + s);
    for (int q = 0; q < GAUSS_NODES.length; q++) {
      double u = variable.applyAsDouble(middle + half * GAUSS_NODES[q]);
      for (int j = 0; j < nodes.length; j++) {
        double basis = 1;
        for (int k = 0; k < nodes.length; k++) {
          if (k != j) {
            basis *= (u - nodes[k]) / (nodes[j] - nodes[k]);
          }
        }
        out[j] += half * GAUSS_WEIGHTS[q] * basis;
      }
    }
    return out;
  }

  private static final double[] GAUSS_NODES = {0, -gaussNode(-1), gaussNode(-1),
      -gaussNode(1), gaussNode(1)};
  private static final double[] GAUSS_WEIGHTS = {128 / 225.0, gaussWeight(1), gaussWeight(1),
      gaussWeight(-1), gaussWeight(-1)};

  private static double gaussNode(int sign) {
    return Math.sqrt(5 + sign * 2 * Math.sqrt(10 / 7.0)) / 3;
  }

  private static double gaussWeight(int sign) {
    return (322 + sign * 13 * Math.sqrt(70)) / 900;
  }

  /**
   * The multistep exponential integrator of ComfyUI's res_multistep (Zhang et al.'s RES, second
   * order): in log-SNR lambda with h = lambda_next - lambda, the exact solution of the ODE with x0
   * linear in lambda through the last two estimates, slope D = (x0 - x0_prev)/h_prev:
   * x_next = (sigma_next/sigma)·x + alpha_next·[(1 - e^-h)·x0 + (h - (1 - e^-h))·D], which is
   * h·(phi_1(-h)·x0 + phi_2(-h)·(x0 - x0_prev)/r) with r = h_prev/h. First order (DDIM) on the
   * first step, where the previous estimate was at pure noise (h_prev = inf, D = 0 in the limit)
   * and on a step to sigma = 0 (h = inf). It is DPM-Solver++(2M) with the exact weight
   * h - (1 - e^-h) of the slope in place of that method's (1 - e^-h)·h/2.
   */
  public static FixedStepMethod resMultistep() {
    return new FixedStepMethod() {
      private NDArray previous;
      private double previousH = Double.NaN;

      @Override
      public NDArray step(Step step, NDArray x) {
        NoiseProcess p = step.process();
        double t = step.t();
        double tNext = step.tNext();
        NDArray x0 = step.denoiser().estimate(x, t).x0();
        double sigmaNext = p.sigma(tNext);
        double h = p.logSnr(tNext) - p.logSnr(t);
        double alphaNext = p.alpha(tNext);
        double gain = -Math.expm1(-h);
        NDArray next = x.mul(sigmaNext == 0 ? 0 : sigmaNext / p.sigma(t))
            .add(x0.mul(alphaNext * gain));
        if (previous != null && Double.isFinite(previousH) && sigmaNext > 0) {
          NDArray slope = x0.sub(previous).div(previousH);
          next = next.add(slope.mul(alphaNext * (h - gain)));
        }
        previous = step.keep(x0);
        previousH = h;
        return next;
      }
    };
  }

  /** A run's last few eps estimates, newest first, each with its node. */
  private static final class History {

    private final int capacity;
    private final List<NDArray> values = new ArrayList<>();
    private final List<Double> nodes = new ArrayList<>();

    History(int capacity) {
      this.capacity = capacity;
    }

    int size() {
      return values.size();
    }

    NDArray get(int j) {
      return values.get(j);
    }

    /** The current node, then the history's. */
    double[] nodesWith(double current) {
      double[] out = new double[nodes.size() + 1];
      out[0] = current;
      for (int j = 0; j < nodes.size(); j++) {
        out[j + 1] = nodes.get(j);
      }
      return out;
    }

    /**
     * Adds the newest estimate, drops the oldest beyond capacity, and keeps the rest a step. An
     * estimate at an infinite node (pure noise in s) is no node of a polynomial: the Lagrange basis
     * with one node gone to infinity is the basis of the others, so the limit leaves it out.
     */
    void push(Step step, NDArray value, double node) {
      if (Double.isFinite(node)) {
        values.add(0, value);
        nodes.add(0, node);
      }
      if (values.size() > capacity) {
        values.remove(capacity);
        nodes.remove(capacity);
      }
      values.forEach(step::keep);
    }
  }
}
