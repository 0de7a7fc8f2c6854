package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamline.service.api.ApiException;
import dev.streamline.service.api.SampleRequest;
import dev.streamline.service.config.StreamlineProperties;
import dev.streamline.service.registry.ModelRegistry;
import dev.streamline.service.registry.ModelsHealthIndicator;
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
    StreamlineProperties properties = new StreamlineProperties("cpu", List.of(), true, true,
        new StreamlineProperties.Threads(1, 1),
        new StreamlineProperties.Batching(true, 256, Duration.ofMillis(2), 0,
            Duration.ofMillis(10)),
        new StreamlineProperties.Limits(1024, 1000, DataSize.ofMegabytes(16), 64,
            Duration.ofSeconds(60)));
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ModelRegistry registry = new ModelRegistry(properties, meters);
    assertThat(new ModelsHealthIndicator(registry).health().getStatus()).isEqualTo(Status.DOWN);
    SamplingService sampling = new SamplingService(registry, properties, meters);
    assertThatThrownBy(() -> sampling.submit("moons-flow",
        new SampleRequest(1, null, null, null, null, null, null, null, null)))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
          assertThat(e.getMessage()).isEqualTo(
              "the models are still loading; retry when /actuator/health/readiness is UP");
        });
    sampling.destroy();
  }
}
