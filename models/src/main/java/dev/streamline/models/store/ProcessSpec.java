package dev.streamline.models.store;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.streamline.sampler.NoiseProcess;

/**
 * A {@link NoiseProcess} as it is written in {@code model.json}: its id and the parameters that
 * id uses (absent ones take the process's defaults).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProcessSpec(
    String type,
    Double betaMin,
    Double betaMax,
    Double s,
    Double tMax,
    Double tEps,
    Double sigmaMin,
    Double sigmaMax) {

  public static ProcessSpec of(NoiseProcess process) {
    if (process instanceof NoiseProcess.VpLinear p) {
      return new ProcessSpec(p.id(), p.betaMin(), p.betaMax(), null, null, p.tEps(), null, null);
    }
    if (process instanceof NoiseProcess.VpCosine p) {
      return new ProcessSpec(p.id(), null, null, p.s(), p.tMax(), p.tEps(), null, null);
    }
    if (process instanceof NoiseProcess.VeGeometric p) {
      return new ProcessSpec(p.id(), null, null, null, null, null, p.sigmaMin(), p.sigmaMax());
    }
    if (process instanceof NoiseProcess.Edm p) {
      return new ProcessSpec(p.id(), null, null, null, null, null, p.sigmaMin(), p.sigmaMax());
    }
    return simple(process.id());
  }

  private static ProcessSpec simple(String type) {
    return new ProcessSpec(type, null, null, null, null, null, null, null);
  }

  /** The process; an unknown type or invalid parameters throw IllegalArgumentException. */
  public NoiseProcess toProcess() {
    if (type == null) {
      throw new IllegalArgumentException("process.type is missing");
    }
    return switch (type) {
      case "linear" -> new NoiseProcess.LinearInterpolant();
      case "vp-linear" -> {
        NoiseProcess.VpLinear d = new NoiseProcess.VpLinear();
        yield new NoiseProcess.VpLinear(or(betaMin, d.betaMin()), or(betaMax, d.betaMax()),
            or(tEps, d.tEps()));
      }
      case "vp-cosine" -> {
        NoiseProcess.VpCosine d = new NoiseProcess.VpCosine();
        yield new NoiseProcess.VpCosine(or(s, d.s()), or(tMax, d.tMax()), or(tEps, d.tEps()));
      }
      case "ve" -> {
        NoiseProcess.VeGeometric d = new NoiseProcess.VeGeometric();
        yield new NoiseProcess.VeGeometric(or(sigmaMin, d.sigmaMin()), or(sigmaMax, d.sigmaMax()));
      }
      case "edm" -> {
        NoiseProcess.Edm d = new NoiseProcess.Edm();
        yield new NoiseProcess.Edm(or(sigmaMin, d.sigmaMin()), or(sigmaMax, d.sigmaMax()));
      }
      default -> throw new IllegalArgumentException("unknown process type '" + type
          + "'; expected one of [linear, vp-linear, vp-cosine, ve, edm]");
    };
  }

  /** The parameters given, by name, for display. */
  public java.util.Map<String, Object> parameters() {
    java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
    java.util.Map<String, Double> given = new java.util.LinkedHashMap<>();
    given.put("betaMin", betaMin);
    given.put("betaMax", betaMax);
    given.put("s", s);
    given.put("tMax", tMax);
    given.put("tEps", tEps);
    given.put("sigmaMin", sigmaMin);
    given.put("sigmaMax", sigmaMax);
    given.forEach((name, value) -> {
      if (value != null) {
        out.put(name, value);
      }
    });
    return out;
  }

  private static double or(Double value, double fallback) {
    return value == null ? fallback : value;
  }
}
