package dev.streamline.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code results.csv} and {@code results.json}: one row per cell, the same columns in both. */
final class Results {

  static final List<String> COLUMNS = List.of("model", "sampler", "steps", "tolerance", "nfe",
      "requests", "errors", "errorsByStatus", "seconds", "requestsPerSecond", "samplesPerSecond",
      "p50Ms", "p90Ms", "p99Ms", "maxMs", "meanMs", "forwardBatchSize", "queueWaitMs",
      "requestsPerRun", "qualitySamples");

  private static final ObjectMapper MAPPER =
      JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

  private Results() {}

  static void writeCsv(Path file, String model, List<String> metrics, List<CellResult> rows)
      throws IOException {
    List<String> lines = new ArrayList<>();
    List<String> header = new ArrayList<>(COLUMNS);
    header.addAll(metrics);
    lines.add(String.join(",", header));
    for (CellResult row : rows) {
      List<String> fields = new ArrayList<>();
      for (Object value : values(model, row)) {
        fields.add(csvField(value));
      }
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
      List<Object> values = values(model, row);
      for (int i = 0; i < COLUMNS.size(); i++) {
        if (values.get(i) instanceof Double number) {
          put(cell, COLUMNS.get(i), number);
        } else {
          cell.set(COLUMNS.get(i), MAPPER.valueToTree(values.get(i)));
        }
      }
      ObjectNode quality = cell.putObject("quality");
      for (String metric : metrics) {
        put(quality, metric, row.metric(metric));
      }
    }
    MAPPER.writeValue(file.toFile(), root);
  }

  /** A row's values in {@link #COLUMNS} order; null where a cell has none (steps, tolerance). */
  private static List<Object> values(String model, CellResult row) {
    return Arrays.asList(model, row.cell().sampler(), row.cell().steps(), row.cell().tolerance(),
        row.nfe(), row.requests(), row.errors(), row.errorsByStatus(), row.seconds(),
        row.requestsPerSecond(), row.samplesPerSecond(), row.p50Ms(), row.p90Ms(), row.p99Ms(),
        row.maxMs(), row.meanMs(), row.forwardBatchSize(), row.queueWaitMs(), row.requestsPerRun(),
        row.qualitySamples());
  }

  private static String csvField(Object value) {
    if (value == null) {
      return "";
    }
    if (value instanceof Double number) {
      return number(number);
    }
    if (value instanceof Map<?, ?> errors) {
      // Inside one CSV field: "429:3;503:1".
      return errors.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue())
          .collect(Collectors.joining(";"));
    }
    return value.toString();
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
