package dev.streamline.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Durations, number formatting, request failures and the output directory. */
class PartsTest {

  @Test
  void aWriterThatFailsLeavesNoOutputBehind(@TempDir Path tmp) throws IOException {
    Path fresh = tmp.resolve("fresh");
    assertThatThrownBy(() -> OutputDirectory.write(fresh, dir -> {
      Files.writeString(dir.resolve("results.csv"), "model,sampler\n");
      throw new IOException("disk full");
    })).hasMessage("disk full");
    assertThat(tmp).isEmptyDirectory();

    Path earlier = Files.createDirectories(tmp.resolve("earlier"));
    Files.writeString(earlier.resolve("results.csv"), "earlier");
    assertThatThrownBy(() -> OutputDirectory.write(earlier, dir -> {
      Files.writeString(dir.resolve("results.csv"), "half");
      throw new IOException("disk full");
    })).hasMessage("disk full");
    try (Stream<Path> files = Files.list(earlier)) {
      assertThat(files).containsExactly(earlier.resolve("results.csv"));
    }
    assertThat(Files.readString(earlier.resolve("results.csv"))).isEqualTo("earlier");
  }

  @Test
  void aWriterThatSucceedsReplacesItsFilesAndNothingElse(@TempDir Path tmp) throws IOException {
    Path out = Files.createDirectories(tmp.resolve("out"));
    Files.writeString(out.resolve("results.csv"), "earlier");
    Files.writeString(out.resolve("notes.txt"), "mine");
    OutputDirectory.write(out, dir -> Files.writeString(dir.resolve("results.csv"), "new"));
    try (Stream<Path> files = Files.list(out)) {
      assertThat(files).containsExactlyInAnyOrder(out.resolve("results.csv"),
          out.resolve("notes.txt"));
    }
    assertThat(Files.readString(out.resolve("results.csv"))).isEqualTo("new");

    Path fresh = tmp.resolve("a").resolve("b");
    OutputDirectory.write(fresh, dir -> Files.writeString(dir.resolve("report.md"), "# report"));
    assertThat(Files.readString(fresh.resolve("report.md"))).isEqualTo("# report");
    try (Stream<Path> files = Files.list(fresh.getParent())) {
      assertThat(files).containsExactly(fresh);
    }
  }

  @Test
  void aStoppedWriteLeavesNoStagingDirectory(@TempDir Path tmp) throws Exception {
    Process writer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-cp", System.getProperty("java.class.path"), StoppedWriter.class.getName(),
        tmp.resolve("report").toString()).redirectErrorStream(true).start();
    try (BufferedReader output = writer.inputReader()) {
      assertThat(output.readLine()).isEqualTo("writing");
      try (Stream<Path> files = Files.list(tmp)) {
        assertThat(files).singleElement().extracting(p -> p.getFileName().toString()).asString()
            .startsWith(OutputDirectory.STAGING + "report-");
      }
      writer.destroy(); // SIGTERM, as kill and Ctrl-C (SIGINT) do; a killed sweep left it there
      assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      writer.destroyForcibly();
    }
    assertThat(tmp).isEmptyDirectory();
  }

  /** Writes a file into the staging directory, says so and waits to be stopped. */
  static final class StoppedWriter {
    public static void main(String[] args) throws IOException {
      OutputDirectory.write(Path.of(args[0]), dir -> {
        Files.writeString(dir.resolve("results.csv"), "half");
        System.out.println("writing");
        try {
          Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      });
    }
  }

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
