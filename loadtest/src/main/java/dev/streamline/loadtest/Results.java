package dev.streamline.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** {@code results.csv} and {@code results.json}: one row per cell, the same columns in both. */
final class Results {

  static final List<String> COLUMNS = List.of("model", "sampler", "steps", "tolerance", "nfe",
      "requests", "errors", "errorsByStatus", "seconds", "requestsPerSecond", "samplesPerSecond",
      "p50Ms", "p90Ms", "p99Ms", "maxMs", "meanMs", "forwardBatchSize", "queueWaitMs",
      "requestsPerRun", "qualitySamples");

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Results() {}

  static void writeCsv(Path file, String model, List<String> metrics, List<CellResult> rows)
      throws IOException {
    List<String> lines = new ArrayList<>();
    List<String> header = new ArrayList<>(COLUMNS);
    header.addAll(metrics);
    lines.add(String.join(",", header));
    for (CellResult row : rows) {
      List<String> fields = new ArrayList<>();
      fields.add(model);
      fields.add(row.cell().sampler());
      fields.add(row.cell().steps() == null ? "" : row.cell().steps().toString());
      fields.add(row.cell().tolerance() == null ? "" : number(row.cell().tolerance()));
      fields.add(number(row.nfe()));
      fields.add(Long.toString(row.requests()));
      fields.add(Long.toString(row.errors()));
      // Inside one CSV field: "429:3;503:1".
      fields.add(row.errorsByStatus().entrySet().stream()
          .map(e -> e.getKey() + ":" + e.getValue()).collect(Collectors.joining(";")));
      for (double value : new double[] {row.seconds(), row.requestsPerSecond(),
          row.samplesPerSecond(), row.p50Ms(), row.p90Ms(), row.p99Ms(), row.maxMs(),
          row.meanMs(), row.forwardBatchSize(), row.queueWaitMs(), row.requestsPerRun()}) {
        fields.add(number(value));
      }
      fields.add(Integer.toString(row.qualitySamples()));
      for (String metric : metrics) {
        fields.add(number(row.metric(metric)));
      }
      lines.add(String.join(",", fields));
    }
    Files.write(file, lines);
  }

  /** The rows under {@code cells}, beside what the sweep was ({@code sweep}). */
  static void writeJson(Path file, String model, ObjectNode sweep, List<String> metrics,
      List<CellResult> rows) throws IOException {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("model", model);
    root.set("sweep", sweep);
    ArrayNode cells = root.putArray("cells");
    for (CellResult row : rows) {
      ObjectNode cell = cells.addObject();
      cell.put("model", model);
      cell.put("sampler", row.cell().sampler());
      if (row.cell().steps() == null) {
        cell.putNull("steps");
      } else {
        cell.put("steps", row.cell().steps());
      }
      put(cell, "tolerance", row.cell().tolerance() == null ? Double.NaN : row.cell().tolerance());
      put(cell, "nfe", row.nfe());
      cell.put("requests", row.requests());
      cell.put("errors", row.errors());
      ObjectNode errors = cell.putObject("errorsByStatus");
      row.errorsByStatus().forEach(errors::put);
      put(cell, "seconds", row.seconds());
      put(cell, "requestsPerSecond", row.requestsPerSecond());
      put(cell, "samplesPerSecond", row.samplesPerSecond());
      put(cell, "p50Ms", row.p50Ms());
      put(cell, "p90Ms", row.p90Ms());
      put(cell, "p99Ms", row.p99Ms());
      put(cell, "maxMs", row.maxMs());
      put(cell, "meanMs", row.meanMs());
      put(cell, "forwardBatchSize", row.forwardBatchSize());
      put(cell, "queueWaitMs", row.queueWaitMs());
      put(cell, "requestsPerRun", row.requestsPerRun());
      cell.put("qualitySamples", row.qualitySamples());
      ObjectNode quality = cell.putObject("quality");
      for (String metric : metrics) {
        put(quality, metric, row.metric(metric));
      }
    }
    MAPPER.writeValue(file.toFile(), root);
  }

  /** JSON has no NaN: an undefined value is null. */
  private static void put(ObjectNode node, String name, double value) {
    if (Double.isFinite(value)) {
      node.put(name, value);
    } else {
      node.putNull(name);
    }
  }

  static String number(double value) {
    if (!Double.isFinite(value)) {
      return "";
    }
    return String.format(Locale.ROOT, "%.6g", value);
  }
}
