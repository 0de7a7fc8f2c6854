package dev.streamline.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.ObjectMapper;

/** Which cells the report names: the best per quality target and the Pareto front. */
class ReportTest {

  private static final QualityMeter METER =
      new QualityMeter.Unmeasured("energy", List.of("energy", "energyFloor", "exactError"));

  // Every floor is 0.01, so energy 0.04 is 4 × floor.
  private static final CellResult EULER_1 = row(Cell.fixed("euler", 1), 1, 5, 0.5, 0.3);
  private static final CellResult EULER_8 = row(Cell.fixed("euler", 8), 8, 20, 0.08, 0.05);
  private static final CellResult HEUN_4 = row(Cell.fixed("heun", 4), 8, 15, 0.04, 0.004);
  private static final CellResult HEUN_16 = row(Cell.fixed("heun", 16), 32, 60, 0.018, 2e-4);
  private static final CellResult DOPRI5 = row(Cell.adaptive("dopri5", 1e-3), 45.5, 40, 0.012,
      5e-5);
  private static final CellResult DPMPP_16 = row(Cell.fixed("dpmpp-2m", 16), 16, 12, 0.025,
      Double.NaN);
  /** Fastest and cheapest of all, but unscored (fewer than two quality samples): never picked. */
  private static final CellResult DDPM_4 = new CellResult(Cell.fixed("ddpm", 4), 4, 10, Map.of(),
      1, 10, 640, 1, 2, 3, 3, 1.5, Double.NaN, Double.NaN, Double.NaN, 0, Map.of());

  @TempDir
  Path dir;

  @Test
  void eachTargetNamesTheCellWithTheFewestNfeAndTheOneWithTheLowestP99() throws IOException {
    String report = write(List.of(HEUN_16, DDPM_4, EULER_8, DOPRI5, EULER_1, HEUN_4, DPMPP_16));
    assertThat(report.lines().filter(line -> line.startsWith("| energy ≤ ")
        || line.startsWith("| exact-solution error ≤ "))).containsExactly(
        // euler/8 and heun/4 tie on NFE; the lower p99 breaks the tie.
        "| energy ≤ 10 × floor | heun/4, 8 NFE, p99 15 ms | dpmpp-2m/16, 16 NFE, p99 12 ms |",
        "| energy ≤ 5 × floor | heun/4, 8 NFE, p99 15 ms | dpmpp-2m/16, 16 NFE, p99 12 ms |",
        "| energy ≤ 3 × floor | dpmpp-2m/16, 16 NFE, p99 12 ms"
            + " | dpmpp-2m/16, 16 NFE, p99 12 ms |",
        "| energy ≤ 2 × floor | heun/16, 32 NFE, p99 60 ms"
            + " | dopri5/tol=0.001, 45.5 NFE, p99 40 ms |",
        "| energy ≤ 1.5 × floor | dopri5/tol=0.001, 45.5 NFE, p99 40 ms"
            + " | dopri5/tol=0.001, 45.5 NFE, p99 40 ms |",
        "| energy ≤ 1.1 × floor | not reached | not reached |",
        "| exact-solution error ≤ 0.1 | heun/4, 8 NFE, p99 15 ms | heun/4, 8 NFE, p99 15 ms |",
        "| exact-solution error ≤ 0.01 | heun/4, 8 NFE, p99 15 ms | heun/4, 8 NFE, p99 15 ms |",
        "| exact-solution error ≤ 0.001 | heun/16, 32 NFE, p99 60 ms"
            + " | dopri5/tol=0.001, 45.5 NFE, p99 40 ms |",
        "| exact-solution error ≤ 1e-4 | dopri5/tol=0.001, 45.5 NFE, p99 40 ms"
            + " | dopri5/tol=0.001, 45.5 NFE, p99 40 ms |");
  }

  @Test
  void eachNfeBudgetRanksEachSamplersBestCellWithinIt() throws IOException {
    String report = write(List.of(HEUN_16, DDPM_4, EULER_8, DOPRI5, EULER_1, HEUN_4, DPMPP_16));
    assertThat(report.lines().filter(line -> line.matches("\\| (8|16|32) \\|.*"))).containsExactly(
        // By energy: at 8 NFE heun/4 beats euler/8; ddpm/4 is unscored and dopri5 over budget.
        "| 8 | heun/4 (0.04) | euler/8 (0.08) | – |",
        "| 16 | dpmpp-2m/16 (0.025) | heun/4 (0.04) | euler/8 (0.08) |",
        "| 32 | heun/16 (0.018) | dpmpp-2m/16 (0.025) | euler/8 (0.08) |",
        // By exact-solution error: dpmpp-2m has none here, a stochastic sampler's way.
        "| 8 | heun/4 (0.004) | euler/8 (0.05) | – |",
        "| 16 | heun/4 (0.004) | euler/8 (0.05) | – |",
        "| 32 | heun/16 (2e-4) | euler/8 (0.05) | – |");
  }

  @Test
  void theParetoFrontNamesTheCellsThatNoOtherBeatsOnP99AndQuality() throws IOException {
    String report = write(List.of(HEUN_16, DDPM_4, EULER_8, DOPRI5, EULER_1, HEUN_4, DPMPP_16));
    assertThat(report.lines().filter(line -> line.startsWith("Quality–latency Pareto front")))
        .containsExactly("Quality–latency Pareto front (no other cell is both faster at p99 and"
            + " better): euler/1 (5 ms, 0.5), dpmpp-2m/16 (12 ms, 0.025),"
            + " dopri5/tol=0.001 (40 ms, 0.012).");
    assertThat(Charts.paretoFront(List.of(HEUN_16, DDPM_4, EULER_8, DOPRI5, EULER_1, HEUN_4,
        DPMPP_16), "energy")).containsExactly(EULER_1, DPMPP_16, DOPRI5);
  }

  @Test
  void withoutQualityValuesNoTargetIsClaimedReachedOrMissed() throws IOException {
    String report = write(List.of(DDPM_4));
    assertThat(report)
        .contains("## Best sampler per quality target\n\nNo cell has quality values (quality"
            + " samples per cell: 0), so there is no quality target to reach and no Pareto"
            + " front.\n\n## Charts")
        .contains("## Reading this report\n\nQuality was not measured in this sweep. Throughput")
        .doesNotContain("not reached", "Pareto front (", "Other quality metrics",
            "Quality is measured");
  }

  private String write(List<CellResult> rows) throws IOException {
    Path file = dir.resolve("report.md");
    Map<String, String> settings = Map.of("quality samples",
        rows.stream().anyMatch(r -> !r.quality().isEmpty()) ? "100" : "0");
    Report.write(file, new Report.Inputs("m", new ObjectMapper().createObjectNode(), null,
        Map.of(), "http://localhost:8080/", "loadtest sweep", settings,
        new Machine("cpu", 2, 1L << 30, "Linux", "JVM"), METER, null, rows, Map.of()));
    return Files.readString(file);
  }

  private static CellResult row(Cell cell, double nfe, double p99, double energy,
      double exactError) {
    Map<String, Double> quality = new HashMap<>(Map.of("energy", energy, "energyFloor", 0.01));
    if (!Double.isNaN(exactError)) {
      quality.put("exactError", exactError);
    }
    return new CellResult(cell, nfe, 10, Map.of(), 1, 10, 640, p99 / 2, p99 * 0.9, p99, p99,
        p99 / 2, Double.NaN, Double.NaN, Double.NaN, 100, quality);
  }
}
