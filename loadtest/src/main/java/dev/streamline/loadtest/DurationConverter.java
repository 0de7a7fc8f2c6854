package dev.streamline.loadtest;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Durations as people write them: {@code 20s}, {@code 500ms}, {@code 2m}, {@code 1h}, or ISO-8601. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

  private static final Pattern SIMPLE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");

  @Override
  public Duration convert(String value) {
    Matcher m = SIMPLE.matcher(value.strip());
    if (m.matches()) {
      double amount = Double.parseDouble(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2);
      double millis = switch (unit) {
        case "ms" -> amount;
        case "m" -> amount * 60_000;
        case "h" -> amount * 3_600_000;
        default -> amount * 1000;
      };
      return Duration.ofNanos(Math.round(millis * 1e6));
    }
    try {
      return Duration.parse(value.strip());
    } catch (DateTimeParseException e) {
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a duration (examples: 20s, 500ms, 2m)");
    }
  }
}
