package dev.streamline.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The service as shipped (bundled and analytic models) plus a tiny image model and a broken
 * model directory, on a random port. Test classes extending it share one running service.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class ServiceTest {

  private static Path models;

  @LocalServerPort
  int port;

  protected Http http;

  @DynamicPropertySource
  static void modelDirectories(DynamicPropertyRegistry registry) {
    registry.add("streamline.model-dirs", () -> extraModels().toString());
  }

  private static synchronized Path extraModels() {
    if (models == null) {
      try {
        models = ImageModelFixture.write(Files.createTempDirectory("streamline-test-models"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return models;
  }

  @BeforeEach
  void connect() {
    http = new Http(port);
    http.awaitReady();
  }
}
