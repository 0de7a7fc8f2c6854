package dev.streamline.loadtest;

/**
 * One point of the sweep: a sampler with a step count, or an adaptive sampler with a tolerance
 * (used as both rtol and atol), where steps mean nothing.
 */
record Cell(String sampler, Integer steps, Double tolerance) {

  static Cell fixed(String sampler, int steps) {
    return new Cell(sampler, steps, null);
  }

  static Cell adaptive(String sampler, double tolerance) {
    return new Cell(sampler, null, tolerance);
  }

  /** "heun/16" or "dopri5/tol=0.001". */
  String label() {
    return steps != null ? sampler + "/" + steps : sampler + "/tol=" + Report.fmt(tolerance);
  }

  /** The steps or tolerance alone, for tables. */
  String setting() {
    return steps == null ? "tol " + Report.fmt(tolerance)
        : steps == 1 ? "1 step" : steps + " steps";
  }
}
