package dev.streamline.sampler;

import java.util.Locale;

/**
 * Align Your Steps (Sabour, Fidler and Kreis 2024, arXiv 2404.14507): 10-step sigma schedules
 * optimized for one model family each, as published by NVIDIA's quick-start guide and ComfyUI's
 * AlignYourStepsScheduler, and their log-linear interpolation to other step counts.
 */
public final class AlignYourSteps {

  /** The families with a published table, each in its own sigma (sigma/alpha). */
  public enum Family implements SamplerOption.Named {
    SD1(14.6146412293, 6.4745760956, 3.8636745985, 2.6946151520, 1.8841921177, 1.3943805092,
        0.9642583904, 0.6523686016, 0.3977456272, 0.1515232662, 0.0291671582),
    SDXL(14.6146412293, 6.3184485287, 3.7681790315, 2.1811480769, 1.3405244945, 0.8620721141,
        0.5550693289, 0.3798540708, 0.2332364134, 0.1114188177, 0.0291671582),
    SVD(700.00, 54.5, 15.886, 7.977, 4.248, 1.789, 0.981, 0.403, 0.173, 0.034, 0.002);

    private final double[] sigmas;

    Family(double... sigmas) {
      this.sigmas = sigmas;
    }

    @Override
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The published 11 sigmas of its 10 steps, from the family's noise end to its data end. */
    public double[] table() {
      return sigmas.clone();
    }
  }

  private AlignYourSteps() {}

  /**
   * count sigmas from the table's first to its last: the table itself at 11, else evenly spaced
   * positions on it, with log sigma linear between its entries (ComfyUI's loglinear_interp).
   */
  static double[] sigmas(Family family, int count) {
    double[] table = family.sigmas;
    if (count == table.length) {
      return table.clone();
    }
    double[] out = new double[count];
    int last = table.length - 1;
    for (int i = 0; i < count; i++) {
      double at = count == 1 ? 0 : (double) i * last / (count - 1);
      int lo = Math.min((int) Math.floor(at), last - 1);
      double w = at - lo;
      out[i] = Math.exp((1 - w) * Math.log(table[lo]) + w * Math.log(table[lo + 1]));
    }
    return out;
  }
}
