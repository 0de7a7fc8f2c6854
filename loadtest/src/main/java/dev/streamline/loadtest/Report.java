package dev.streamline.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;

/** {@code report.md}: where and how the sweep ran, the results table, the best cells, the charts. */
final class Report {

  /** Quality targets as multiples of the floor. */
  static final double[] FLOOR_MULTIPLES = {10, 5, 3, 2, 1.5, 1.1};

  /** Exact-solution error targets (RMS distance) for the analytic models. */
  static final double[] EXACT_ERROR_TARGETS = {1e-1, 1e-2, 1e-3, 1e-4};

  /** Network-evaluation budgets at which samplers are ranked. */
  static final int[] NFE_BUDGETS = {8, 16, 32};

  /** Samplers named per budget. */
  private static final int PLACES = 3;

  /**
   * @param modelInfo the server's {@code /v1/models/{id}} answer
   * @param serverInfo the server's {@code /actuator/info}, or null
   * @param serverSettings server settings named on the command line
   * @param settings the sweep's load settings, in words, by name
   * @param likelihood the held-out likelihood, or null where it was off
   */
  record Inputs(String model, JsonNode modelInfo, JsonNode serverInfo,
      Map<String, String> serverSettings, String url, String command,
      Map<String, String> settings, Machine machine, QualityMeter meter,
      HeldOutLikelihood likelihood, List<CellResult> rows, Map<String, String> charts) {}

  private Report() {}

  static void write(Path file, Inputs in) throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# Load test: ").append(in.model()).append("\n\n");
    md.append("Made ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append(" with\n\n```\n")
        .append(in.command()).append("\n```\n\n");

    md.append("## Machine\n\n");
    md.append("The load generator's machine (the service's too when the URL is local):\n\n");
    md.append("| | |\n|---|---|\n");
    row(md, "CPU", in.machine().cpu());
    row(md, "cores", Integer.toString(in.machine().cores()));
    row(md, "memory", in.machine().memory());
    row(md, "OS", in.machine().os());
    row(md, "JVM", in.machine().jvm());
    md.append('\n');

    md.append("## Server\n\n");
    md.append("`").append(in.url()).append("`, model `").append(in.model()).append("`");
    JsonNode info = in.modelInfo();
    md.append(": ").append(info.path("kind").asString("?")).append(", process ")
        .append(info.path("process").isObject() ? info.path("process").path("type").asString("?")
            : info.path("process").asString("?"))
        .append(", ").append(info.path("parameterization").asString("?"))
        .append(" parameterization, sample shape ").append(info.path("shape"))
        .append(info.path("classes").size() > 0
            ? ", " + info.path("classes").size() + " classes" : "")
        .append(info.path("dataset").isString()
            ? ", trained on " + info.path("dataset").stringValue() : "")
        .append(".\n\n");
    boolean reported = in.serverInfo() != null && in.serverInfo().size() > 0;
    if (reported) {
      md.append("Settings the server reports (`/actuator/info`):\n\n| setting | value |\n|---|---|\n");
      flatten("", in.serverInfo(), md);
      md.append('\n');
    }
    if (!in.serverSettings().isEmpty()) {
      md.append("Settings named for this run (`--server-setting`):\n\n| setting | value |\n"
          + "|---|---|\n");
      in.serverSettings().forEach((name, value) -> row(md, "`" + name + "`", value));
      md.append('\n');
    }
    if (!reported && in.serverSettings().isEmpty()) {
      md.append("The server reports no settings at `/actuator/info` and none were named with"
          + " `--server-setting`; unless changed, it runs with the defaults in the service's"
          + " README.\n\n");
    }

    md.append("## Load\n\n| | |\n|---|---|\n");
    in.settings().forEach((name, value) -> row(md, name, value));
    md.append('\n');

    String primary = in.meter().primary();
    String floor = in.meter().primaryFloor();
    md.append("## Results\n\n");
    md.append("One row per cell; latencies of successful requests. `").append(primary)
        .append("` is the quality metric (lower is better), next to its floor: the same statistic"
            + " for a perfect sampler at this sample size. Batch is the mean number of rows per"
            + " forward pass on the server, queue the mean wait before a request's first pass, per"
            + " run the mean number of requests one sampling run served (above 1 where the server"
            + " merged requests).\n\n");
    md.append("| sampler | setting | NFE | req/s | samples/s | p50 ms | p99 ms | batch | queue ms"
        + " | per run | ").append(primary).append(" | floor | errors |\n");
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (CellResult r : in.rows()) {
      md.append("| ").append(r.cell().sampler()).append(" | ").append(r.cell().setting())
          .append(" | ").append(fmt(r.nfe())).append(" | ").append(fmt(r.requestsPerSecond()))
          .append(" | ").append(fmt(r.samplesPerSecond())).append(" | ").append(fmt(r.p50Ms()))
          .append(" | ").append(fmt(r.p99Ms())).append(" | ").append(fmt(r.forwardBatchSize()))
          .append(" | ").append(fmt(r.queueWaitMs())).append(" | ").append(fmt(r.requestsPerRun()))
          .append(" | ").append(fmt(r.metric(primary)))
          .append(" | ").append(fmt(r.metric(floor))).append(" | ")
          .append(r.errors() == 0 ? "0" : r.errors() + " " + r.errorsByStatus()).append(" |\n");
    }
    md.append('\n');
    boolean scored = in.rows().stream().anyMatch(r -> Double.isFinite(r.metric(primary)));
    List<String> others = in.meter().metrics().stream()
        .filter(m -> !m.equals(primary) && !m.equals(floor)).toList();
    if (scored && !others.isEmpty()) {
      md.append("Other quality metrics (all in `results.csv`):\n\n| sampler | setting");
      others.forEach(m -> md.append(" | ").append(m));
      md.append(" |\n|---|---");
      others.forEach(m -> md.append("|---:"));
      md.append("|\n");
      for (CellResult r : in.rows()) {
        md.append("| ").append(r.cell().sampler()).append(" | ").append(r.cell().setting());
        others.forEach(m -> md.append(" | ").append(fmt(r.metric(m))));
        md.append(" |\n");
      }
      md.append('\n');
    }

    likelihood(md, in);

    md.append("## Best sampler per quality target\n\n");
    if (scored) {
      bestCells(md, in);
    } else {
      md.append("No cell has quality values (quality samples per cell: ")
          .append(in.settings().getOrDefault("quality samples", "?"))
          .append("), so there is no quality target to reach and no Pareto front.\n\n");
    }

    md.append("## Charts\n\n");
    if (in.charts().isEmpty()) {
      md.append("No cell produced a finite value to draw.\n\n");
    }
    in.charts().forEach((name, caption) ->
        md.append(caption).append("\n\n![").append(name).append("](").append(name).append(")\n\n"));

    md.append("## Reading this report\n\n");
    if (scored) {
      md.append("Quality is measured on the samples the load test received: ")
          .append(in.settings().getOrDefault("quality samples", "?")).append(" per cell, seeds"
              + " shared by all cells, so differences between cells are the samplers' and not the"
              + " noise's. A value within a small multiple of its floor is as good as this sample"
              + " size can tell. ");
    } else {
      md.append("Quality was not measured in this sweep. ");
    }
    md.append("Throughput and latency are for the load above on this machine; they move with"
        + " concurrency, batching and the machine, while quality per NFE does not.\n");
    Files.writeString(file, md.toString());
  }

  /** The held-out likelihood of each cell whose sampler integrates one. */
  private static void likelihood(StringBuilder md, Inputs in) {
    if (in.likelihood() == null) {
      return;
    }
    md.append("## Likelihood of held-out data\n\n");
    List<CellResult> rows = in.rows().stream()
        .filter(r -> Double.isFinite(r.metric("nll"))).toList();
    if (rows.isEmpty()) {
      md.append("No sampler of this sweep integrates a likelihood (those marked `likelihood` in"
          + " `GET /v1/samplers`: the Runge–Kutta samplers).\n\n");
      return;
    }
    md.append("Negative log-likelihood of ").append(in.likelihood().data().description())
        .append(", integrated by each cell's sampler at its steps or tolerance (`POST /v1/models/")
        .append(in.model()).append("/likelihood`, ")
        .append(in.settings().getOrDefault("likelihood divergence", "server default"))
        .append(" divergence); mean over the points ± its standard error, in nats of the"
            + " model's space, and in bits per dimension. Lower is better. NFE is per likelihood"
            + " request; an adaptive sampler's differs from its sampling NFE.\n\n");
    boolean floor = rows.stream().anyMatch(r -> Double.isFinite(r.metric("nllFloor")));
    md.append("| sampler | setting | NFE | NLL (nats) | ± | ").append(floor ? "exact NLL | " : "")
        .append("bits/dim |\n|---|---|---:|---:|---:|").append(floor ? "---:|" : "")
        .append("---:|\n");
    for (CellResult r : rows) {
      md.append("| ").append(r.cell().sampler()).append(" | ").append(r.cell().setting())
          .append(" | ").append(fmt(r.metric("likelihoodNfe"))).append(" | ")
          .append(fmt(r.metric("nll"))).append(" | ").append(fmt(r.metric("nllStdErr")))
          .append(" | ");
      if (floor) {
        md.append(fmt(r.metric("nllFloor"))).append(" | ");
      }
      md.append(fmt(r.metric("bitsPerDim"))).append(" |\n");
    }
    md.append('\n');
    if (floor) {
      md.append("The exact NLL is the points' own under the model's known mixture: an exact"
          + " model solved exactly scores it, so the gap is the solver's error (for a diffusion"
          + " model also its small data-time smoothing).\n\n");
    }
  }

  /** The best cells per quality target, and the quality–latency Pareto front. */
  private static void bestCells(StringBuilder md, Inputs in) {
    String primary = in.meter().primary();
    String floor = in.meter().primaryFloor();
    md.append("For each target, the cell that reaches it with the fewest network evaluations and"
        + " the one with the lowest p99 latency (they differ where a sampler's evaluations batch"
        + " better, or where the NFE count misleads).\n\n");
    md.append("| target | fewest NFE | lowest p99 latency |\n|---|---|---|\n");
    for (double multiple : FLOOR_MULTIPLES) {
      target(md, primary + " ≤ " + fmt(multiple) + " × floor", in.rows(),
          r -> r.metric(primary) <= multiple * r.metric(floor));
    }
    if (in.meter().metrics().contains("exactError")) {
      for (double target : EXACT_ERROR_TARGETS) {
        target(md, "exact-solution error ≤ " + fmt(target), in.rows(),
            r -> r.metric("exactError") <= target);
      }
    }
    md.append('\n');
    budgets(md, in.rows(), primary, "`" + primary + "`");
    if (in.meter().metrics().contains("exactError")) {
      budgets(md, in.rows(), "exactError", "exact-solution error");
    }
    List<CellResult> front = Charts.paretoFront(in.rows(), primary);
    if (!front.isEmpty()) {
      md.append("Quality–latency Pareto front (no other cell is both faster at p99 and better): ");
      for (Iterator<CellResult> it = front.iterator(); it.hasNext(); ) {
        CellResult r = it.next();
        md.append(r.cell().label()).append(" (").append(fmt(r.p99Ms())).append(" ms, ")
            .append(fmt(r.metric(primary))).append(")").append(it.hasNext() ? ", " : ".\n\n");
      }
    }
  }

  /**
   * Which samplers win at each NFE budget: each sampler's best cell within the budget, ranked by
   * the metric.
   */
  private static void budgets(StringBuilder md, List<CellResult> rows, String metric,
      String name) {
    md.append("Best samplers within an NFE budget by ").append(name)
        .append(" (each sampler's best cell at or under the budget):\n\n| NFE ≤ |");
    for (int place = 1; place <= PLACES; place++) {
      md.append(' ').append(place == 1 ? "best" : "#" + place).append(" |");
    }
    md.append("\n|---:|").append("---|".repeat(PLACES)).append('\n');
    for (int budget : NFE_BUDGETS) {
      Map<String, CellResult> best = new TreeMap<>();
      rows.stream().filter(r -> r.nfe() <= budget && Double.isFinite(r.metric(metric)))
          .forEach(r -> best.merge(r.cell().sampler(), r,
              (a, b) -> b.metric(metric) < a.metric(metric) ? b : a));
      List<CellResult> ranked = best.values().stream()
          .sorted(Comparator.comparingDouble(r -> r.metric(metric))).toList();
      md.append("| ").append(budget).append(" |");
      for (int place = 0; place < PLACES; place++) {
        md.append(' ').append(place < ranked.size() ? ranked.get(place).cell().label() + " ("
            + fmt(ranked.get(place).metric(metric)) + ")" : "–").append(" |");
      }
      md.append('\n');
    }
    md.append('\n');
  }

  private static void target(StringBuilder md, String name, List<CellResult> rows,
      Predicate<CellResult> reached) {
    List<CellResult> hits = rows.stream().filter(reached).toList();
    Optional<CellResult> fewest = hits.stream()
        .min(Comparator.comparingDouble(CellResult::nfe).thenComparingDouble(CellResult::p99Ms));
    Optional<CellResult> fastest = hits.stream().filter(r -> Double.isFinite(r.p99Ms()))
        .min(Comparator.comparingDouble(CellResult::p99Ms));
    md.append("| ").append(name).append(" | ")
        .append(fewest.map(r -> r.cell().label() + ", " + fmt(r.nfe()) + " NFE, p99 "
            + fmt(r.p99Ms()) + " ms").orElse("not reached"))
        .append(" | ")
        .append(fastest.map(r -> r.cell().label() + ", " + fmt(r.nfe()) + " NFE, p99 "
            + fmt(r.p99Ms()) + " ms").orElse("not reached"))
        .append(" |\n");
  }

  private static void flatten(String prefix, JsonNode node, StringBuilder md) {
    if (node.isObject()) {
      node.properties().forEach(e ->
          flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), md));
    } else {
      row(md, "`" + prefix + "`", node.isString() ? node.stringValue() : node.toString());
    }
  }

  private static void row(StringBuilder md, String name, String value) {
    md.append("| ").append(name).append(" | ").append(value.replace("|", "\\|")).append(" |\n");
  }

  static String fmt(double value) {
    if (!Double.isFinite(value)) {
      return "–";
    }
    if (value != 0 && (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e5)) {
      // 2.38e-5 rather than Java's 2.38e-05 or 0.0000238.
      String[] parts = String.format(Locale.ROOT, "%.2e", value).split("e");
      return trimZeros(parts[0]) + "e" + Integer.parseInt(parts[1]);
    }
    return trimZeros(String.format(Locale.ROOT, "%.4g", value));
  }

  private static String trimZeros(String number) {
    return number.contains(".") ? number.replaceAll("0+$", "").replaceAll("\\.$", "") : number;
  }
}
