package dev.streamline.sampler;

/**
 * What a run reports besides its result.
 *
 * @param diagnostics per-sample {@link Diagnostics}
 * @param sensitivity also run a perturbed twin of every sample in the same evaluations (twice the
 *     rows) and report the finite-time growth factor ‖Δx_end‖/‖Δx_start‖; implies diagnostics
 */
public record Inspection(boolean diagnostics, boolean sensitivity) {

  public static final Inspection NONE = new Inspection(false, false);

  /** The relative size of a twin's perturbation: 1e-3 of its sample's starting norm. */
  static final double TWIN_OFFSET = 1e-3;

  public Inspection {
    diagnostics = diagnostics || sensitivity;
  }
}
