package dev.streamline.loadtest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A scrape of the Prometheus text exposition format (version 0.0.4, which Micrometer writes):
 * enough of it to sum counters and summaries over the series that carry a given label.
 */
public record PrometheusText(List<Series> series) {

  /** One sample line: metric name, labels and value. */
  public record Series(String name, Map<String, String> labels, double value) {}

  /**
   * Average batch size, queue wait and requests per sampling run (above 1 when the server merged
   * requests) of one model over the interval between two scrapes.
   */
  public record Averages(double forwardBatchSize, double queueWaitSeconds, double requestsPerRun) {}

  public static PrometheusText parse(String text) {
    List<Series> series = new ArrayList<>();
    int lineNumber = 0;
    for (String line : text.split("\n")) {
      lineNumber++;
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      try {
        series.add(parseLine(trimmed));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "Prometheus text, line " + lineNumber + ": " + e.getMessage() + ": " + trimmed, e);
      }
    }
    return new PrometheusText(List.copyOf(series));
  }

  /** The sum of the values of metric {@code name} over the series whose label {@code key} is {@code value}. */
  public double sum(String name, String key, String value) {
    double total = 0;
    for (Series s : series) {
      if (s.name.equals(name) && value.equals(s.labels.get(key))) {
        total += s.value;
      }
    }
    return total;
  }

  /**
   * Average forward-pass batch size (rows per forward pass), queue wait and requests per run of a
   * model between scrape {@code before} and this one; NaN where nothing happened or the metric is
   * absent.
   */
  public Averages averagesSince(PrometheusText before, String model) {
    return new Averages(
        ratioOfDeltas(before, "streamline_forward_batch_size_sum",
            "streamline_forward_batch_size_count", model),
        ratioOfDeltas(before, "streamline_queue_wait_seconds_sum",
            "streamline_queue_wait_seconds_count", model),
        ratioOfDeltas(before, "streamline_run_requests_sum", "streamline_run_requests_count",
            model));
  }

  private double ratioOfDeltas(PrometheusText before, String sum, String count, String model) {
    double deltaCount = sum(count, "model", model) - before.sum(count, "model", model);
    double deltaSum = sum(sum, "model", model) - before.sum(sum, "model", model);
    return deltaCount > 0 ? deltaSum / deltaCount : Double.NaN;
  }

  private static Series parseLine(String line) {
    int brace = line.indexOf('{');
    int space = line.indexOf(' ');
    Map<String, String> labels = new LinkedHashMap<>();
    String name;
    int rest;
    if (brace >= 0 && (space < 0 || brace < space)) {
      name = line.substring(0, brace);
      rest = parseLabels(line, brace + 1, labels);
    } else if (space > 0) {
      name = line.substring(0, space);
      rest = space;
    } else {
      throw new IllegalArgumentException("no value");
    }
    String[] fields = line.substring(rest).strip().split("\\s+");
    return new Series(name, labels, value(fields[0]));
  }

  /** Reads {@code k="v",...}} from {@code start}; returns the index after the closing brace. */
  private static int parseLabels(String line, int start, Map<String, String> labels) {
    int i = start;
    while (true) {
      while (line.charAt(i) == ' ' || line.charAt(i) == ',') {
        i++;
      }
      if (line.charAt(i) == '}') {
        return i + 1;
      }
      int equals = line.indexOf('=', i);
      String key = line.substring(i, equals).strip();
      i = equals + 1;
      if (line.charAt(i) != '"') {
        throw new IllegalArgumentException("label " + key + " has no quoted value");
      }
      StringBuilder value = new StringBuilder();
      i++;
      for (char c = line.charAt(i); c != '"'; c = line.charAt(++i)) {
        if (c == '\\') {
          char escaped = line.charAt(++i);
          value.append(escaped == 'n' ? '\n' : escaped);
        } else {
          value.append(c);
        }
      }
      labels.put(key, value.toString());
      i++;
    }
  }

  private static double value(String text) {
    return switch (text) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(text);
    };
  }
}
