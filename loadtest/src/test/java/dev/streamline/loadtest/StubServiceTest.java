package dev.streamline.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StubServiceTest {

  @Test
  void failedRequestsAreCountedByStatusAndTheirSamplesFetchedAgain(@TempDir Path out)
      throws Exception {
    try (StubService stub = new StubService()) {
      Cli cli = Cli.run("sweep", "--url", stub.url(), "--model", "analytic-gmm-flow",
          "--samplers", "rk4,ddpm", "--steps", "4", "--requests", "10", "-n", "10",
          "--concurrency", "1", "--warmup", "0s", "--quality-samples", "100", "--no-progress",
          "--out", out.toString());
      assertThat(cli.exitCode()).as(cli.err()).isZero();
      JsonNode cells = new ObjectMapper().readTree(out.resolve("results.json").toFile())
          .path("cells");
      for (JsonNode cell : cells) {
        // One worker and every other request rejected: 5 succeed, 5 fail.
        assertThat(cell.path("requests").asLong()).isEqualTo(5);
        assertThat(cell.path("errorsByStatus").path("503").asLong()).isEqualTo(5);
        // The failed requests' samples were fetched after the measured phase.
        assertThat(cell.path("qualitySamples").asInt()).isEqualTo(100);
        // No /actuator/prometheus: no batching figures, rather than made-up ones.
        assertThat(cell.path("forwardBatchSize").isNull()).isTrue();
      }
      // The stub's rk4 error is 1/16 per coordinate; ddpm is stochastic, so it has none.
      assertThat(cells.get(0).path("quality").path("exactError").asDouble())
          .isBetween(0.5 / 16, 2.0 / 16);
      assertThat(cells.get(1).path("quality").path("exactError").isNull()).isTrue();
      assertThat(cli.out()).contains("errors {503=5}");
    }
  }
}
