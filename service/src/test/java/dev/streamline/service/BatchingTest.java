package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Concurrent requests share forward passes, and a request's samples do not depend on what it
 * was batched with.
 */
class BatchingTest extends ServiceTest {

  private static final String PASSES =
      "streamline_forward_batch_size_count{application=\"streamline\",model=\"moons-flow\"}";
  private static final String[] SAMPLERS = {"euler", "heun", "rk4", "dpmpp-2m", "dopri5",
      "ddim", "euler-maruyama", "unipc"};

  private static String request(int i) {
    String sampler = SAMPLERS[i % SAMPLERS.length];
    return "{\"n\":" + (1 + i % 5) + ",\"sampler\":\"" + sampler + "\",\"steps\":" + (4 + i)
        + ",\"seed\":" + (100 + i) + "}";
  }

  @Test
  void thirtyTwoConcurrentRequestsShareForwardPassesAndMatchTheirSoloResults() throws Exception {
    List<JsonNode> alone = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      alone.add(Http.json(http.post("/v1/models/moons-flow/samples", request(i), null)));
    }
    double before = http.metric(PASSES);
    ExecutorService clients = Executors.newFixedThreadPool(32);
    List<CompletableFuture<JsonNode>> together = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      String body = request(i);
      together.add(CompletableFuture.supplyAsync(
          () -> Http.json(http.post("/v1/models/moons-flow/samples", body, null)), clients));
    }
    int nfe = 0;
    for (int i = 0; i < 32; i++) {
      JsonNode result = together.get(i).get();
      nfe += result.get("nfe").asInt();
      // Bitwise the same, adaptive solvers included: every row's result is independent of its batch.
      assertThat(result.get("nfe")).as(request(i)).isEqualTo(alone.get(i).get("nfe"));
      assertThat(result.get("samples")).as(request(i)).isEqualTo(alone.get(i).get("samples"));
    }
    clients.shutdown();
    double passes = http.metric(PASSES) - before;
    assertThat(passes).isPositive().isLessThan(nfe / 2.0);
  }
}
