package dev.streamline.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Durations, number formatting and request failures. */
class PartsTest {

  @Test
  void durationsReadAsPeopleWriteThem() {
    DurationConverter converter = new DurationConverter();
    assertThat(converter.convert("20s")).isEqualTo(Duration.ofSeconds(20));
    assertThat(converter.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(converter.convert("1.5m")).isEqualTo(Duration.ofSeconds(90));
    assertThat(converter.convert("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(converter.convert("3")).isEqualTo(Duration.ofSeconds(3));
    assertThat(converter.convert("PT1M")).isEqualTo(Duration.ofMinutes(1));
    assertThatThrownBy(() -> converter.convert("soon"))
        .isInstanceOf(CommandLine.TypeConversionException.class)
        .hasMessage("'soon' is not a duration (examples: 20s, 500ms, 2m)");
  }

  @Test
  void numbersAreShortAndExact() {
    assertThat(Report.fmt(16)).isEqualTo("16");
    assertThat(Report.fmt(1000)).isEqualTo("1000");
    assertThat(Report.fmt(0.001)).isEqualTo("0.001");
    assertThat(Report.fmt(123.456)).isEqualTo("123.5");
    assertThat(Report.fmt(1e-4)).isEqualTo("1e-4");
    assertThat(Report.fmt(0.0000238)).isEqualTo("2.38e-5");
    assertThat(Report.fmt(-0.000289)).isEqualTo("-2.89e-4");
    assertThat(Report.fmt(2.5e6)).isEqualTo("2.5e6");
    assertThat(Report.fmt(0)).isEqualTo("0");
    assertThat(Report.fmt(Double.NaN)).isEqualTo("–");
  }

  @Test
  void anyFailureOfARequestBecomesAServiceExceptionThatNamesIt() {
    ServiceException busy = new ServiceException(429, "busy");
    assertThat(ServiceClient.failure(new CompletionException(busy))).isSameAs(busy);
    ServiceException unexpected =
        ServiceClient.failure(new ExecutionException(new IllegalStateException("boom")));
    assertThat(unexpected).hasMessage("request failed: IllegalStateException: boom")
        .hasCauseInstanceOf(IllegalStateException.class);
    assertThat(unexpected.errorKey()).isEqualTo("io");
    assertThat(ServiceClient.failure(new CompletionException(new NullPointerException())))
        .hasMessage("request failed: NullPointerException");
  }
}
