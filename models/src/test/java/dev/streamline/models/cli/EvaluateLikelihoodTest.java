package dev.streamline.models.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.streamline.models.data.TwoDimensionalDataset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code evaluate --likelihood}: the held-out NLL of the bundled models, and what it refuses. */
class EvaluateLikelihoodTest {

  /** One printed result: the NLL and bits/dim, each with its standard error. */
  private record Nll(double nats, double natsError, double bits, double bitsError) {}

  private static final Pattern RESULT =
      Pattern.compile("NLL (\\S+) ± (\\S+) nats, (\\S+) ± (\\S+) bits/dim\n$");

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  private static Nll nll(CliRun outcome) {
    assertThat(outcome.code()).as(outcome.err()).isZero();
    Matcher m = RESULT.matcher(outcome.out());
    assertThat(m.find()).as(outcome.out()).isTrue();
    return new Nll(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)),
        Double.parseDouble(m.group(3)), Double.parseDouble(m.group(4)));
  }

  private Path bundled(String id) throws Exception {
    return Path.of(getClass().getResource("/models/" + id).toURI());
  }

  @Test
  void moonsNllIsFiniteAndItsBitsAreNatsOverDLn2() throws Exception {
    CliRun outcome = run("evaluate", "--model", bundled("moons-flow").toString(),
        "--likelihood", "-n", "400");
    assertThat(outcome.out()).matches("moons-flow likelihood with heun, 32 steps \\(64 NFE\\),"
        + " exact divergence, 400 held-out points: NLL \\S+ ± \\S+ nats, \\S+ ± \\S+"
        + " bits/dim\n");
    Nll nll = nll(outcome);
    // Two arms of length 2π and noise 0.2 across: an entropy near 2.3 nats.
    assertThat(nll.nats()).isFinite().isBetween(1.8, 3.0);
    assertThat(nll.natsError()).isBetween(0.005, 0.1);
    // Printed to four decimals: bits/dim = nats / (D ln 2), D = 2, and so for the errors.
    assertThat(nll.bits()).isCloseTo(nll.nats() / (2 * Math.log(2)), within(1e-4));
    assertThat(nll.bitsError()).isCloseTo(nll.natsError() / (2 * Math.log(2)), within(1e-4));
  }

  @Test
  void exactAndHutchinsonDivergencesAgree() throws Exception {
    String dir = bundled("moons-flow").toString();
    Nll exact = nll(run("evaluate", "--model", dir, "--likelihood", "-n", "300",
        "--divergence", "exact"));
    CliRun estimated = run("evaluate", "--model", dir, "--likelihood", "-n", "300",
        "--divergence", "hutchinson", "--probes", "64");
    assertThat(estimated.out()).contains(", hutchinson divergence, 64 probes, ");
    Nll hutchinson = nll(estimated);
    // The same points: only the trace estimator differs, unbiased, and with 64 probes in two
    // dimensions its spread is far below the data's.
    assertThat(hutchinson.nats()).isCloseTo(exact.nats(), within(3 * exact.natsError()));
    assertThat(hutchinson.nats()).isCloseTo(exact.nats(), within(0.02));
    // A fourth-order solver on the same ODE agrees with Heun's 32 steps.
    Nll rk4 = nll(run("evaluate", "--model", dir, "--likelihood", "-n", "300",
        "--sampler", "rk4", "--steps", "32"));
    assertThat(rk4.nats()).isCloseTo(exact.nats(), within(0.01));
  }

  /**
   * A diffusion model whose default sampler (dpmpp-2m) has no likelihood runs dopri5, and its
   * NLL sits just above the data's own: the cross-entropy exceeds the entropy by the KL.
   */
  @Test
  void aDiffusionModelScoresNearTheTrueDensity() throws Exception {
    int n = 200;
    CliRun outcome = run("evaluate", "--model", bundled("gaussians8-diffusion").toString(),
        "--likelihood", "-n", String.valueOf(n), "--seed", "5", "--rtol", "1e-4", "--atol",
        "1e-4");
    assertThat(outcome.out()).startsWith("gaussians8-diffusion likelihood with dopri5, adaptive,"
        + " rtol 1.0e-4, atol 1.0e-4 (");
    Nll nll = nll(outcome);
    // The held-out points are the data set's draw from --seed; their NLL under the true mixture.
    double[][] points = TwoDimensionalDataset.EIGHT_GAUSSIANS.sample(n, 5);
    double sigma = 0.5 / Math.sqrt(2);
    double radius = 4 / Math.sqrt(2);
    double trueNll = 0;
    for (double[] p : points) {
      double density = 0;
      for (int k = 0; k < 8; k++) {
        double dx = p[0] - radius * Math.cos(k * Math.PI / 4);
        double dy = p[1] - radius * Math.sin(k * Math.PI / 4);
        density += Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma))
            / (8 * 2 * Math.PI * sigma * sigma);
      }
      trueNll -= Math.log(density) / n;
    }
    // 2.8816 against 2.8796 when written: a KL of a few thousandths.
    assertThat(nll.nats() - trueNll).isBetween(-0.03, 0.1);
  }

  @Test
  void anImageModelReportsBitsOfEightBitImages() throws Exception {
    Path subset = Path.of(getClass().getResource("/fashion-mnist-subset").toURI());
    CliRun outcome = run("evaluate", "--model", bundled("fashion-mnist-flow").toString(),
        "--likelihood", "--data-dir", subset.toString(), "-n", "3", "--sampler", "rk4",
        "--steps", "10");
    assertThat(outcome.out()).startsWith("fashion-mnist-flow likelihood with rk4, 10 steps (40"
        + " NFE), hutchinson divergence, 1 probe, 3 test images with their labels, dequantized:");
    Nll nll = nll(outcome);
    // −log₂p/D + 7, D = 784: the bits of the 8-bit images, which a density bounds from above.
    assertThat(nll.bits()).isCloseTo(nll.nats() / (784 * Math.log(2)) + 7, within(1e-4));
    assertThat(nll.bits()).isBetween(1.0, 7.0);

    CliRun tooMany = run("evaluate", "--model", bundled("fashion-mnist-flow").toString(),
        "--likelihood", "--data-dir", subset.toString(), "-n", "201");
    assertThat(tooMany.code()).isEqualTo(2);
    assertThat(tooMany.err()).startsWith("error: -n must be at most 200: the test split in "
        + subset + " has 200 images, got 201\n");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '#', quoteCharacter = '"', value = {
      "--sampler ddpm          # sampler 'ddpm' samples the reverse SDE, which has no density by"
          + " the change of variables; likelihood integrates the probability-flow ODE with one"
          + " of [euler, midpoint, heun, rk4, bosh3, dopri5]",
      "--sampler dpmpp-2m      # sampler 'dpmpp-2m' steps in (x0, eps), not along a general ODE;"
          + " likelihood integrates the probability-flow ODE with one of [euler, midpoint, heun,"
          + " rk4, bosh3, dopri5]",
      "--divergence trace      # --divergence must be 'exact' or 'hutchinson', got 'trace'",
      "--probes 4              # --probes applies to the hutchinson divergence; the exact one"
          + " takes one product per dimension",
      "--divergence hutchinson --probes 65 # --probes must be in [1, 64], got 65",
      "--sampler dopri5 --steps 8 # --steps applies to fixed-step samplers; dopri5 chooses its"
          + " own steps (set --rtol and --atol instead)",
      "--rtol 1e-3             # --rtol applies to the adaptive samplers [bosh3, dopri5], not"
          + " heun",
      "--record                # --record writes sample quality into model.json, which has no"
          + " field for a likelihood; run --likelihood without it",
      "-n 1                    # -n must be at least 2: the standard error needs two held-out"
          + " samples, got 1",
      "--guidance 2            # --guidance applies to sampling; --likelihood scores the"
          + " model's own density, log p(x | y) with the data's labels for a class-conditional"
          + " model",
  })
  void badLikelihoodOptionsGiveAMessageAndExitTwo(String options, String message)
      throws Exception {
    List<String> args = new ArrayList<>(List.of("evaluate",
        "--model", bundled("moons-flow").toString(), "--likelihood"));
    args.addAll(List.of(options.split(" ")));
    CliRun outcome = run(args.toArray(String[]::new));
    assertThat(outcome.code()).isEqualTo(2);
    assertThat(outcome.err()).isEqualTo("error: " + message + "\nTry 'models evaluate --help'.\n");
    assertThat(outcome.out()).isEmpty();
  }

  @Test
  void likelihoodOptionsAloneAreRefused() throws Exception {
    CliRun outcome = run("evaluate", "--model", bundled("moons-flow").toString(),
        "--divergence", "exact", "--probes", "2");
    assertThat(outcome.code()).isEqualTo(2);
    assertThat(outcome.err()).startsWith("error: --divergence, --probes apply to --likelihood"
        + " only\n");
  }
}
