package dev.streamline.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.streamline.models.data.FashionMnist;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** Sweeps against the real service, started in-process. */
class SweepTest {

  private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G'};

  @Test
  void twoCellSweepOfTheAnalyticFlowWritesEveryOutputAndRk4ConvergesToTheExactSolution(
      @TempDir Path out) throws Exception {
    Cli cli = Cli.run("sweep", "--url", InProcessService.url(), "--model", "analytic-gmm-flow",
        "--samplers", "rk4", "--steps", "2,8", "--requests", "8", "-n", "32",
        "--concurrency", "4", "--warmup", "0s", "--quality-samples", "256", "--no-progress",
        "--server-setting", "streamline.batching.max-batch-size=256", "--out", out.toString());
    assertThat(cli.exitCode()).as(cli.err()).isZero();
    assertThat(cli.out()).contains("rk4/2", "rk4/8", "wrote " + out.resolve("report.md"));

    List<String> csv = Files.readAllLines(out.resolve("results.csv"));
    assertThat(csv).hasSize(3);
    assertThat(csv.get(0)).startsWith("model,sampler,steps,tolerance,nfe,requests,errors,")
        .endsWith(",energy,energyFloor,mmd2,mmd2Floor,slicedW2,slicedW2Floor,exactError"
            + ",nll,nllStdErr,nllFloor,bitsPerDim,likelihoodNfe");
    assertThat(csv.get(1)).startsWith("analytic-gmm-flow,rk4,2,,8.00000,8,0,,");
    assertThat(csv.get(2)).startsWith("analytic-gmm-flow,rk4,8,,32.0000,8,0,,");

    JsonNode cells = new ObjectMapper().readTree(out.resolve("results.json").toFile()).path("cells");
    assertThat(cells).hasSize(2);
    JsonNode coarse = cells.get(0);
    JsonNode fine = cells.get(1);
    for (JsonNode cell : cells) {
      assertThat(cell.path("requests").asLong()).isEqualTo(8);
      assertThat(cell.path("errors").asLong()).isZero();
      assertThat(cell.path("qualitySamples").asInt()).isEqualTo(256);
      assertThat(cell.path("p50Ms").asDouble()).isPositive();
      assertThat(cell.path("p99Ms").asDouble()).isGreaterThanOrEqualTo(cell.path("p50Ms").asDouble());
      assertThat(cell.path("samplesPerSecond").asDouble())
          .isCloseTo(32 * cell.path("requestsPerSecond").asDouble(), within(1e-6));
      // Every evaluation of 32 rows goes through the batcher, possibly merged with others.
      assertThat(cell.path("forwardBatchSize").asDouble()).isGreaterThanOrEqualTo(32);
      assertThat(cell.path("queueWaitMs").isNumber()).isTrue();
      // A run serves one request or several merged: never fewer than one, never more than sent.
      assertThat(cell.path("requestsPerRun").asDouble()).isBetween(1.0, 8.0);
      JsonNode quality = cell.path("quality");
      assertThat(quality.path("energy").asDouble()).isFinite().isNotNegative();
      assertThat(quality.path("energyFloor").asDouble()).isFinite().isPositive();
      assertThat(quality.path("exactError").asDouble()).isFinite().isPositive();
    }
    assertThat(coarse.path("nfe").asDouble()).isEqualTo(8);
    assertThat(fine.path("nfe").asDouble()).isEqualTo(32);
    // Fourth order: four times the steps cuts the error by far more than four.
    assertThat(fine.path("quality").path("exactError").asDouble())
        .isLessThan(coarse.path("quality").path("exactError").asDouble() / 16);
    // The held-out likelihood: the same 256 points in both cells, integrated at the cell's steps
    // (4 NFE per rk4 step, exact divergence in 2D), approaches the points' exact NLL under the
    // mixture at fourth order.
    JsonNode coarseLikelihood = coarse.path("quality");
    JsonNode fineLikelihood = fine.path("quality");
    assertThat(coarseLikelihood.path("likelihoodNfe").asDouble()).isEqualTo(8);
    assertThat(fineLikelihood.path("likelihoodNfe").asDouble()).isEqualTo(32);
    double exactNll = fineLikelihood.path("nllFloor").asDouble();
    assertThat(coarseLikelihood.path("nllFloor").asDouble()).isEqualTo(exactNll);
    double coarseGap = Math.abs(coarseLikelihood.path("nll").asDouble() - exactNll);
    double fineGap = Math.abs(fineLikelihood.path("nll").asDouble() - exactNll);
    assertThat(fineGap).isLessThan(coarseGap / 16).isLessThan(1e-2);
    assertThat(fineLikelihood.path("nllStdErr").asDouble()).isPositive().isLessThan(0.2);
    assertThat(fineLikelihood.path("bitsPerDim").asDouble()).isCloseTo(
        fineLikelihood.path("nll").asDouble() / (2 * Math.log(2)), within(1e-3));
    // Same seeds in both cells: the data-vs-data floor is one number.
    assertThat(fine.path("quality").path("energyFloor").asDouble())
        .isEqualTo(coarse.path("quality").path("energyFloor").asDouble());

    for (String chart : List.of(Charts.QUALITY, Charts.LATENCY, Charts.THROUGHPUT, Charts.PARETO,
        Charts.EXACT_ERROR, Charts.LIKELIHOOD)) {
      byte[] png = Files.readAllBytes(out.resolve(chart));
      assertThat(png).as(chart).hasSizeGreaterThan(5000).startsWith(PNG_MAGIC);
    }
    String report = Files.readString(out.resolve("report.md"));
    assertThat(report)
        .contains("# Load test: analytic-gmm-flow")
        .contains("| cores | " + Runtime.getRuntime().availableProcessors() + " |")
        .contains("| rk4 | 2 steps | 8 |", "| rk4 | 8 steps | 32 |")
        .contains("| `streamline.batching.max-batch-size` | 256 |")
        .contains("## Likelihood of held-out data", "256 fresh draws from the model's mixture")
        .contains("| rk4 | 8 steps | 32 | " + Report.fmt(fineLikelihood.path("nll").asDouble())
            + " | ")
        .contains("## Best sampler per quality target")
        .contains("![" + Charts.QUALITY + "](" + Charts.QUALITY + ")")
        .contains("![" + Charts.PARETO + "](" + Charts.PARETO + ")");
  }

  @Test
  void moreStepsBringTheMoonsFlowToItsDataFloor(@TempDir Path out) throws Exception {
    Cli cli = Cli.run("sweep", "--url", InProcessService.url(), "--model", "moons-flow",
        "--samplers", "euler,heun", "--steps", "1,16", "--requests", "4", "-n", "250",
        "--concurrency", "2", "--warmup", "0s", "--quality-samples", "1000", "--no-progress",
        "--out", out.toString());
    assertThat(cli.exitCode()).as(cli.err()).isZero();
    JsonNode cells = new ObjectMapper().readTree(out.resolve("results.json").toFile()).path("cells");
    assertThat(cells).hasSize(4);
    JsonNode eulerOne = cells.get(0).path("quality");
    JsonNode heunSixteen = cells.get(3).path("quality");
    assertThat(cells.get(3).path("nfe").asDouble()).isEqualTo(32);
    // One Euler step lands every sample near the straight-line mean; 32 NFE of Heun reach the
    // trained model's quality (within 3x of the floor, the bar of the models' README).
    assertThat(eulerOne.path("energy").asDouble())
        .isGreaterThan(10 * heunSixteen.path("energy").asDouble());
    assertThat(heunSixteen.path("energy").asDouble())
        .isLessThan(3 * heunSixteen.path("energyFloor").asDouble());
    assertThat(heunSixteen.has("exactError")).isFalse();
    // Fresh moons points: a likelihood, but no exact one to compare it with; one Euler step
    // straight to the prior scores them far worse than 16 Heun steps.
    assertThat(heunSixteen.path("nllFloor").isNull()).isTrue();
    assertThat(eulerOne.path("nll").asDouble())
        .isGreaterThan(heunSixteen.path("nll").asDouble() + 0.5);
  }

  @Test
  void imageModelsAreScoredByTheClassifier(@TempDir Path out) throws Exception {
    assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIRECTORY),
        "needs Fashion-MNIST in " + FashionMnist.DEFAULT_DIRECTORY);
    Cli cli = Cli.run("sweep", "--url", InProcessService.url(), "--model",
        InProcessService.IMAGE_MODEL, "--samplers", "euler", "--steps", "2", "--requests", "2",
        "-n", "20", "--guidance", "2", "--warmup", "0s", "--quality-samples", "40",
        "--likelihood-samples", "8", "--no-progress", "--out", out.toString());
    assertThat(cli.exitCode()).as(cli.err()).isZero();
    assertThat(Files.readAllLines(out.resolve("results.csv")).get(0))
        .endsWith(",qualitySamples,frechet,frechetFloor,classAccuracy,nll,nllStdErr,nllFloor"
            + ",bitsPerDim,likelihoodNfe");
    JsonNode cell = new ObjectMapper().readTree(out.resolve("results.json").toFile())
        .path("cells").get(0);
    JsonNode quality = cell.path("quality");
    assertThat(cell.path("qualitySamples").asInt()).isEqualTo(40);
    // Untrained: noise-like images sit far from real ones, which sit close to each other.
    assertThat(quality.path("frechetFloor").asDouble()).isFinite().isPositive();
    assertThat(quality.path("frechet").asDouble())
        .isGreaterThan(2 * quality.path("frechetFloor").asDouble());
    assertThat(quality.path("classAccuracy").asDouble()).isBetween(0.0, 1.0);
    // Eight test images under the untrained model, by Hutchinson's estimate (the server's
    // default above 16 dimensions): finite, and the bits per dimension those nats make.
    assertThat(quality.path("likelihoodNfe").asDouble()).isEqualTo(2);
    double nll = quality.path("nll").asDouble();
    assertThat(nll).isFinite();
    assertThat(quality.path("bitsPerDim").asDouble())
        .isCloseTo(nll / (784 * Math.log(2)) + 7, within(1e-3));
    assertThat(Files.readString(out.resolve("report.md"))).contains("| guidance | 2.0 |");
  }

  @Test
  void imageSweepWithoutQualitySamplesNeedsNoDataSet(@TempDir Path out) throws Exception {
    Cli cli = Cli.run("sweep", "--url", InProcessService.url(), "--model",
        InProcessService.IMAGE_MODEL, "--samplers", "euler", "--steps", "1", "--requests", "2",
        "-n", "2", "--warmup", "0s", "--quality-samples", "0", "--likelihood-samples", "0",
        "--data-dir",
        out.resolve("no-fashion-mnist-here").toString(), "--no-progress", "--out", out.toString());
    assertThat(cli.exitCode()).as(cli.err()).isZero();
    List<String> csv = Files.readAllLines(out.resolve("results.csv"));
    assertThat(csv.get(0)).endsWith(",qualitySamples,frechet,frechetFloor,classAccuracy,nll"
        + ",nllStdErr,nllFloor,bitsPerDim,likelihoodNfe");
    // No quality samples, and the eight metrics empty.
    assertThat(csv.get(1)).startsWith(InProcessService.IMAGE_MODEL + ",euler,1,,1.00000,2,0,,")
        .endsWith(",0,,,,,,,,");
    JsonNode quality = new ObjectMapper().readTree(out.resolve("results.json").toFile())
        .path("cells").get(0).path("quality");
    assertThat(quality.path("frechet").isNull()).isTrue();
    assertThat(quality.path("classAccuracy").isNull()).isTrue();
    // Nothing to draw for quality; latency and throughput are drawn as always.
    assertThat(out.resolve(Charts.QUALITY)).doesNotExist();
    assertThat(out.resolve(Charts.PARETO)).doesNotExist();
    assertThat(out.resolve(Charts.LATENCY)).exists();
    assertThat(Files.readString(out.resolve("report.md")))
        .contains("No cell has quality values (quality samples per cell: 0)")
        .doesNotContain(Charts.QUALITY);
  }

  @Test
  void openLoopSendsAtTheGivenRate(@TempDir Path out) throws Exception {
    Cli cli = Cli.run("sweep", "--url", InProcessService.url(), "--model", "analytic-gmm-vp",
        "--samplers", "dpmpp-2m", "--steps", "8", "--rate", "40", "--duration", "1s", "-n", "8",
        "--warmup", "0s", "--quality-samples", "64", "--no-progress", "--out", out.toString());
    assertThat(cli.exitCode()).as(cli.err()).isZero();
    JsonNode cell = new ObjectMapper().readTree(out.resolve("results.json").toFile())
        .path("cells").get(0);
    assertThat(cell.path("requests").asLong() + cell.path("errors").asLong()).isEqualTo(40);
    // Paced, not sent at once: the 40th request is due 39/40 s after the first.
    assertThat(cell.path("seconds").asDouble()).isGreaterThanOrEqualTo(0.975);
    assertThat(cell.path("quality").path("exactError").asDouble()).isFinite().isPositive();
    // dpmpp-2m steps in (x0, eps), not along a general ODE: no likelihood, and the report says
    // why rather than drawing an empty chart.
    assertThat(cell.path("quality").path("nll").isNull()).isTrue();
    assertThat(Files.readString(out.resolve("report.md")))
        .contains("## Likelihood of held-out data\n\nNo sampler of this sweep integrates a"
            + " likelihood");
    assertThat(out.resolve(Charts.LIKELIHOOD)).doesNotExist();
  }
}
