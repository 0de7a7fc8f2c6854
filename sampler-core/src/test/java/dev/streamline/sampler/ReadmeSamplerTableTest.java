package dev.streamline.sampler;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's sampler and option tables are the registry's and the declarations', row for row. */
class ReadmeSamplerTableTest {

  private static String readme() throws IOException {
    return Files.readString(Path.of("..", "README.md"));
  }

  @Test
  void readmeListsEverySamplerAsRegistered() throws IOException {
    String readme = readme();
    for (SamplerSpec s : SamplerCatalog.specs()) {
      String row = String.format("| `%s` | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |",
          s.id(), s.family(), s.order(), s.evalsPerStep(), yes(s.stochastic()),
          yes(s.adaptive()), yes(s.invertible()), yes(s.likelihood()),
          String.join(", ", s.options()), names(s.aliases()), s.description());
      assertThat(readme).as(s.id()).contains(row);
    }
  }

  private static String names(java.util.List<String> aliases) {
    return aliases.isEmpty() ? "" : "`" + String.join("`, `", aliases) + "`";
  }

  private static String yes(boolean property) {
    return property ? "yes" : "no";
  }

  @Test
  void readmeListsEveryOptionAsDeclared() throws IOException {
    String readme = readme();
    for (SamplerOption o : SamplerOption.values()) {
      String row = String.format("| `%s` | %s | %s | %s | %s |", o.id(), o.type().json(),
          o.range().text().isEmpty() ? "any" : o.range().text(), o.readers().text(),
          o.description());
      assertThat(readme).as(o.id()).contains(row);
    }
  }
}
