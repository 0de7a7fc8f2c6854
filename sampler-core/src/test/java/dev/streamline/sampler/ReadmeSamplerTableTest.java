package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's sampler table is the registry's, row for row. */
class ReadmeSamplerTableTest {

  @Test
  void readmeListsEverySamplerAsRegistered() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"));
    for (SamplerSpec s : SamplerCatalog.specs()) {
      String row = String.format("| `%s` | %s | %d | %d | %s | %s | %s |", s.id(), s.family(),
          s.order(), s.evalsPerStep(), s.stochastic() ? "yes" : "no", s.adaptive() ? "yes" : "no",
          String.join(", ", s.options()));
      assertThat(readme).as(s.id()).contains(row);
    }
  }
}
