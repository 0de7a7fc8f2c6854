package dev.streamline.service.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamline.service.batching.Deadline;
import dev.streamline.service.config.StreamlineProperties;
import dev.streamline.service.registry.ModelRegistry;
import dev.streamline.service.sampling.Outcome;
import dev.streamline.service.sampling.SamplingService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import tools.jackson.databind.ObjectMapper;

/** A JSON answer is written within its request's time limit, or the request gets its 504. */
class AnswersTest {

  /** An answer that takes 200 ms to render, as a large trajectory takes seconds. */
  private static final Function<Outcome, ResponseEntity<?>> SLOW = outcome -> {
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(Map.of("a", 1));
  };

  @Test
  void anAnswerWrittenPastTheDeadlineIsA504AndOneInTimeIsItsJson() {
    StreamlineProperties properties = new Binder(new MapConfigurationPropertySource(Map.of()))
        .bindOrCreate("streamline", StreamlineProperties.class);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    SamplingService sampling = new SamplingService(new ModelRegistry(properties, meters),
        properties, meters);
    try {
      Answers answers = new Answers(sampling, properties, new ObjectMapper());
      CompletableFuture<Outcome> done = CompletableFuture.completedFuture(new Outcome.Done(null));

      assertThatThrownBy(() -> answers.of(new SamplingService.Job(done,
          Deadline.after(Duration.ofMillis(50))), SLOW).block())
          .isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(HttpStatus.GATEWAY_TIMEOUT);
            assertThat(e.getMessage()).isEqualTo("the request ran past its time limit of 60 s;"
                + " ask for fewer samples or steps");
          });

      ResponseEntity<?> answer = answers.of(new SamplingService.Job(done,
          Deadline.after(Duration.ofSeconds(60))), SLOW).block();
      assertThat(answer.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_JSON);
      assertThat(new String((byte[]) answer.getBody(), StandardCharsets.UTF_8))
          .isEqualTo("{\"a\":1}");
    } finally {
      sampling.destroy();
    }
  }
}
