package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamline.service.api.ApiException;
import dev.streamline.service.config.StreamlineProperties;
import dev.streamline.service.registry.ModelRegistry;
import dev.streamline.service.registry.ModelsHealthIndicator;
import dev.streamline.service.sampling.Refused;
import dev.streamline.service.sampling.SamplingService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;
import org.springframework.http.HttpStatus;
import org.springframework.util.unit.DataSize;

/** Before the models have loaded, readiness is DOWN and sampling answers 503. */
class ReadinessTest {

  @Test
  void notReadyUntilTheModelsHaveLoaded() {
    StreamlineProperties properties = new StreamlineProperties("cpu", List.of(), Duration.ZERO,
        true, true,
        new StreamlineProperties.Threads(1, 1),
        new StreamlineProperties.Batching(true, 256, Duration.ofMillis(2), 0,
            Duration.ofMillis(10)),
        new StreamlineProperties.Limits(1024, 1000, DataSize.ofMegabytes(16), 64,
            Duration.ofSeconds(60), 64, 120, 50),
        new StreamlineProperties.Auth(false, null),
        new StreamlineProperties.Http(Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(60), 1024));
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ModelRegistry registry = new ModelRegistry(properties, meters);
    assertThat(new ModelsHealthIndicator(registry).health().getStatus()).isEqualTo(Status.DOWN);
    SamplingService sampling = new SamplingService(registry, properties, meters);
    assertThat(sampling.find("moons-flow")).isEqualTo(new Refused(Refused.Reason.NOT_READY,
        "the models are still loading; retry when /actuator/health/readiness is UP"));
    assertThat(ApiException.of(new Refused(Refused.Reason.NOT_READY, "")).status())
        .isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
    sampling.destroy();
  }
}
