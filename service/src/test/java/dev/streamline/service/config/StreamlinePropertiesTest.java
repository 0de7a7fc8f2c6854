package dev.streamline.service.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamline.service.api.ApiKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.ObjectMapper;

/** {@code streamline.*} binds with its documented defaults, and a bad value stops the start. */
class StreamlinePropertiesTest {

  @Configuration
  @EnableConfigurationProperties(StreamlineProperties.class)
  static class Bound {}

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
      .withUserConfiguration(Bound.class);

  @Test
  void defaults() {
    runner.run(context -> {
      StreamlineProperties properties = context.getBean(StreamlineProperties.class);
      assertThat(properties.device()).isEqualTo("cpu");
      assertThat(properties.modelPollInterval()).isZero();
      assertThat(properties.threads().intraOp()).isEqualTo(1);
      assertThat(properties.batching().enabled()).isTrue();
      assertThat(properties.batching().maxBatchSize()).isEqualTo(256);
      assertThat(properties.batching().maxDelay()).isEqualTo(Duration.ofMillis(2));
      assertThat(properties.batching().mergeWindow()).isEqualTo(Duration.ofMillis(10));
      assertThat(properties.batching().workers()).isZero();
      assertThat(properties.limits().queueCapacity()).isEqualTo(64);
      assertThat(properties.limits().requestTimeout()).isEqualTo(Duration.ofSeconds(60));
      assertThat(properties.limits().maxBodySize().toMegabytes()).isEqualTo(16);
      assertThat(properties.limits().maxCostSeconds()).isEqualTo(120);
      assertThat(properties.limits().clientSharePercent()).isEqualTo(50);
      assertThat(properties.limits().slotsPerClient()).isEqualTo(32);
      assertThat(properties.auth().enabled()).isFalse();
      assertThat(properties.auth().tokensFile()).isNull();
    });
  }

  @Test
  void aShareIsAtLeastOneSlot() {
    runner.withPropertyValues("streamline.limits.queue-capacity=3",
        "streamline.limits.client-share-percent=10").run(context -> assertThat(
            context.getBean(StreamlineProperties.class).limits().slotsPerClient()).isEqualTo(1));
    assertRejected("streamline.limits.client-share-percent=0",
        "streamline.limits.clientSharePercent", "must be greater than or equal to 1");
    assertRejected("streamline.limits.client-share-percent=101",
        "streamline.limits.clientSharePercent", "must be less than or equal to 100");
    assertRejected("streamline.limits.max-cost-seconds=0", "streamline.limits.maxCostSeconds",
        "must be greater than or equal to 1");
  }

  @Test
  void apiKeysThatLetNobodyInStopTheStart(@TempDir Path directory) throws IOException {
    ApplicationContextRunner keys = runner.withUserConfiguration(ApiKeys.class)
        .withBean(ObjectMapper.class, ObjectMapper::new)
        .withPropertyValues("streamline.auth.enabled=true");
    keys.run(context -> assertThat(context.getStartupFailure()).rootCause().hasMessage(
        "streamline.auth.enabled is true but streamline.auth.tokens-file names no file of API"
            + " keys"));
    Path comments = Files.writeString(directory.resolve("tokens"), "# none yet\n\n  \n");
    keys.withPropertyValues("streamline.auth.tokens-file=" + comments).run(context ->
        assertThat(context.getStartupFailure()).rootCause().hasMessage(
            "streamline.auth.tokens-file " + comments + " holds no API key (one per line; blank"
                + " lines and # comments are skipped)"));
    Path missing = directory.resolve("absent");
    keys.withPropertyValues("streamline.auth.tokens-file=" + missing).run(context ->
        assertThat(context.getStartupFailure())
            .hasStackTraceContaining("streamline.auth.tokens-file " + missing + " cannot be read"));
    Files.writeString(directory.resolve("one"), "key-one\n");
    keys.withPropertyValues("streamline.auth.tokens-file=" + directory.resolve("one"))
        .run(context -> assertThat(context).hasNotFailed());
  }

  private void assertRejected(String setting, String field, String message) {
    runner.withPropertyValues(setting).run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).rootCause().hasMessageContaining(field)
          .hasMessageContaining(message);
    });
  }

  @Test
  void invalidSettingsStopTheStartWithTheirName() {
    assertRejected("streamline.device=tpu", "streamline.device", "must be cpu or gpu");
    assertRejected("streamline.limits.queue-capacity=0", "streamline.limits.queueCapacity",
        "must be greater than or equal to 1");
    assertRejected("streamline.batching.max-batch-size=100000",
        "streamline.batching.maxBatchSize", "must be less than or equal to 65536");
    assertRejected("streamline.threads.intra-op=0", "streamline.threads.intraOp",
        "must be greater than or equal to 1");
    assertRejected("streamline.model-poll-interval=-1s", "streamline.modelPollInterval",
        "must not be negative");
    assertRejected("streamline.model-poll-interval=25h", "streamline.modelPollInterval",
        "must be at most 1d");
    assertRejected("streamline.batching.merge-window=-1ms", "streamline.batching.mergeWindow",
        "must not be negative");
    assertRejected("streamline.batching.max-delay=-1ms", "streamline.batching.maxDelay",
        "must not be negative");
    assertRejected("streamline.limits.request-timeout=0s", "streamline.limits.requestTimeout",
        "must be positive");
    // Past ~292 years a deadline no longer fits in nanoseconds: each request would fail.
    assertRejected("streamline.limits.request-timeout=200000d",
        "streamline.limits.requestTimeout", "must be at most 1d");
    assertRejected("streamline.batching.max-delay=11s", "streamline.batching.maxDelay",
        "must be at most 10s");
    assertRejected("streamline.batching.merge-window=1h", "streamline.batching.mergeWindow",
        "must be at most 10s");
    assertRejected("streamline.limits.max-body-size=3GB", "streamline.limits.maxBodySize",
        "must be between 1 and 2147483647 bytes");
  }

  @Test
  void unparseableValuesStopTheStart() {
    runner.withPropertyValues("streamline.limits.request-timeout=soon").run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).hasStackTraceContaining(
          "streamline.limits.request-timeout");
    });
  }
}
