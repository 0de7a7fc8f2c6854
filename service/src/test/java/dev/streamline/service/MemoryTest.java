package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamline.service.registry.ServedModel;
import dev.streamline.service.sampling.ModelLookup;
import dev.streamline.service.sampling.Outcome;
import dev.streamline.service.sampling.SampleOrder;
import dev.streamline.service.sampling.SamplingService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Resident memory levels off: after a warm-up, 10,000 sampling requests grow RSS by less than
 * 5%. Surefire runs this JVM with a pre-touched fixed heap, so RSS growth is native memory
 * (libtorch tensors that outlive their request would show here).
 */
class MemoryTest extends ServiceTest {

  @Autowired
  SamplingService sampling;

  private void run(int requests) throws Exception {
    int concurrency = 16;
    for (int done = 0; done < requests; done += concurrency) {
      List<CompletableFuture<Outcome>> wave = new ArrayList<>();
      for (int i = 0; i < concurrency; i++) {
        String sampler = i % 2 == 0 ? "euler" : "dpmpp-2m-sde";
        String model = i % 3 == 0 ? "gaussians8-diffusion" : "moons-flow";
        ServedModel served = ((ModelLookup.Found) sampling.find(model)).model();
        wave.add(sampling.submit(served, new SampleOrder(4, sampler, 3, (long) done + i, null,
            null, null, null, false, null, null), "memory-test").result());
      }
      for (CompletableFuture<Outcome> outcome : wave) {
        assertThat(((Outcome.Done) outcome.get()).samples().samples()).hasSize(8);
      }
    }
  }

  private static long residentKilobytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  @Test
  void tenThousandRequestsGrowResidentMemoryByLessThanFivePercent() throws Exception {
    run(2_000);
    System.gc();
    long before = residentKilobytes();
    run(10_000);
    System.gc();
    long after = residentKilobytes();
    System.out.printf("RSS %d MB -> %d MB (%+.2f%%) over 10,000 requests%n", before / 1024,
        after / 1024, 100.0 * (after - before) / before);
    assertThat((double) after).isLessThan(before * 1.05);
  }
}
