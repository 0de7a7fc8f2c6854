package dev.streamline.service;

import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.web.server.LocalServerPort;

/** A test of the service on a random port, through {@link #http} once the models are ready. */
public abstract class HttpTest {

  @LocalServerPort
  int port;

  protected Http http;

  @BeforeEach
  void connect() {
    http = new Http(port);
    http.awaitReady();
  }
}
