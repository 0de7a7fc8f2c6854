package dev.streamline.sampler;

import java.util.Arrays;
import java.util.Locale;

/**
 * How a network trained in another ecosystem reads its inputs and what its output means, in the
 * form of Karras et al.'s preconditioning, which every convention fits: the network F receives
 * c_in·x and one time number, and stands for the prediction c_skip·x + c_out·F in
 * {@link #parameterization}. Streamline's own networks are the plain case (c_in = 1, time t,
 * c_skip = 0, c_out = 1); a flow model trained on noise − x0 (SD3) has c_out = −1; the bare F of
 * EDM has c_in = 1/√(σ² + σ_d²), c_skip = σ_d²/(σ² + σ_d²), c_out = ±σ·σ_d/√(σ² + σ_d²) with σ the
 * process's sigma/alpha (the minus sign for a v-prediction F).
 *
 * @param sigmaData σ_d of EDM's preconditioning, or 0 for none
 * @param outputSign the sign of c_out
 */
public record NetworkConvention(Parameterization parameterization, TimeInput timeInput,
    double sigmaData, double outputSign) {

  public NetworkConvention {
    if (!(sigmaData >= 0 && Double.isFinite(sigmaData))) {
      throw new IllegalArgumentException("sigma_data must be >= 0, got " + sigmaData);
    }
    if (Math.abs(outputSign) != 1) {
      throw new IllegalArgumentException("the output sign is 1 or -1, got " + outputSign);
    }
  }

  /** A network that takes x and the process's time and answers in {@code parameterization}. */
  public static NetworkConvention plain(Parameterization parameterization) {
    return new NetworkConvention(parameterization, TimeInput.PROCESS_TIME, 0, 1);
  }

  /** Whether the network sees x and t as they are and answers the prediction itself. */
  public boolean isPlain() {
    return sigmaData == 0 && outputSign == 1 && timeInput.equals(TimeInput.PROCESS_TIME);
  }

  public double inputScale(NoiseProcess process, double t) {
    if (sigmaData == 0) {
      return 1;
    }
    double s = process.edmSigma(t);
    return 1 / Math.sqrt(s * s + sigmaData * sigmaData);
  }

  public double skip(NoiseProcess process, double t) {
    if (sigmaData == 0) {
      return 0;
    }
    double s = process.edmSigma(t);
    return sigmaData * sigmaData / (s * s + sigmaData * sigmaData);
  }

  public double outputScale(NoiseProcess process, double t) {
    if (sigmaData == 0) {
      return outputSign;
    }
    double s = process.edmSigma(t);
    return outputSign * s * sigmaData / Math.sqrt(s * s + sigmaData * sigmaData);
  }

  /**
   * The time number a network receives: one variable of the process times a scale (diffusers'
   * flow models take sigma·1000, NVlabs' EDM networks ln(σ)/4).
   */
  public record TimeInput(Variable variable, double scale) {

    public static final TimeInput PROCESS_TIME = new TimeInput(Variable.T, 1);

    public TimeInput {
      if (variable == null) {
        throw new IllegalArgumentException("timeInput needs a type: one of " + Variable.ids());
      }
      if (!(Double.isFinite(scale) && scale != 0)) {
        throw new IllegalArgumentException("timeInput.scale must be a finite non-zero number,"
            + " got " + scale);
      }
    }

    public double at(NoiseProcess process, double t) {
      return scale * switch (variable) {
        case T -> t;
        case SIGMA -> process.sigma(t);
        case C_NOISE -> 0.25 * Math.log(process.edmSigma(t));
        case LOG_SNR -> process.logSnr(t);
      };
    }

    public enum Variable {
      /** The process's own time. */
      T,
      /** sigma(t), the coefficient of the noise: sigma itself on EDM and VE, 1 − t on the interpolant. */
      SIGMA,
      /** ln(sigma/alpha)/4, the c_noise of Karras et al. */
      C_NOISE,
      /** log(alpha/sigma). */
      LOG_SNR;

      public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
      }

      public static Variable fromId(String id) {
        for (Variable v : values()) {
          if (v.id().equals(id)) {
            return v;
          }
        }
        throw new IllegalArgumentException("unknown timeInput '" + id + "'; expected one of "
            + ids());
      }

      static java.util.List<String> ids() {
        return Arrays.stream(values()).map(Variable::id).toList();
      }
    }
  }
}
