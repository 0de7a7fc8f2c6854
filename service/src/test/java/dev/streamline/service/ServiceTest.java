package dev.streamline.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * The service as shipped (bundled and analytic models) plus a tiny image model and a broken
 * model directory, on a random port. Test classes extending it share one running service.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "streamline.model-dirs=" + ServiceTest.MODELS)
@Import(ServiceTest.Fixtures.class)
public abstract class ServiceTest extends HttpTest {

  static final String MODELS = "target/test-models";

  /** Writes the extra model directories; beans exist before the registry starts loading. */
  @TestConfiguration
  static class Fixtures {
    @Bean
    Path testModels() {
      try {
        return ImageModelFixture.write(Path.of(MODELS));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
