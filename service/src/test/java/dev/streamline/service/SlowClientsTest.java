package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Slow loris: connections that send nothing, half their headers or half their body are closed
 * by the idle, header and body timeouts while other clients are served as usual; and the
 * connection cap turns away what is over it. Short timeouts, and bounds on time only generous
 * ones: the test waits for what must happen, not for how fast.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "streamline.bundled-models=false",
    "streamline.http.header-timeout=2s",
    "streamline.http.body-timeout=2s",
    "streamline.http.idle-timeout=15s",
    "streamline.http.max-connections=220"})
@ExtendWith(OutputCaptureExtension.class)
class SlowClientsTest extends HttpTest {

  private static final String SAMPLES = "/v1/models/analytic-gmm-flow/samples";
  /** Far above every timeout here, so that a connection still open then was never closed. */
  private static final int CLOSED_WITHIN_MS = 60_000;

  /** The three ways to hold a connection with half a request, and the answer each gets. */
  enum Loris {
    SILENT(""),
    HALF_HEADERS("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nAccept: applic"),
    HALF_BODY("POST " + SAMPLES + " HTTP/1.1\r\nHost: localhost\r\n"
        + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"n\":1,");

    final String sent;

    Loris(String sent) {
      this.sent = sent;
    }
  }

  private Socket open(String sent) throws IOException {
    Socket socket = new Socket("localhost", port);
    socket.setSoTimeout(CLOSED_WITHIN_MS);
    socket.getOutputStream().write(sent.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    return socket;
  }

  @Test
  void halfOpenConnectionsAreClosedWhileOthersAreServed(CapturedOutput log) throws Exception {
    List<Socket> lorises = new ArrayList<>();
    try {
      for (int i = 0; i < 200; i++) {
        lorises.add(open(Loris.values()[i % 3].sent));
      }
      // Served as usual while all 200 hang on.
      for (int i = 0; i < 10; i++) {
        assertThat(http.get("/v1/models").statusCode()).isEqualTo(200);
        assertThat(http.post(SAMPLES, "{\"n\":2,\"steps\":2}", null).statusCode())
            .isEqualTo(200);
      }
      for (int i = 0; i < lorises.size(); i++) {
        Loris loris = Loris.values()[i % 3];
        InputStream in = lorises.get(i).getInputStream();
        if (loris == Loris.HALF_HEADERS) {
          Http.Raw answer = Http.read(in);
          assertThat(answer).as("answer to %s", loris).isNotNull();
          assertThat(answer.status()).isEqualTo(408);
          assertThat(answer.headers()).containsEntry("content-type", "application/problem+json");
          assertThat(answer.json().get("detail").asString()).isEqualTo("the request headers did"
              + " not arrive within 2s of its first byte (streamline.http.header-timeout)");
        }
        assertThat(endOf(in)).as("connection %d (%s) closed", i, loris).isTrue();
      }
    } finally {
      for (Socket socket : lorises) {
        socket.close();
      }
    }
    assertThat(http.get("/v1/models").statusCode()).isEqualTo(200);
    assertThat(log.getAll()).doesNotContain(" ERROR ", "\tat ");
  }

  /** True once the server has closed the connection (an end, or a reset), false on a timeout. */
  private static boolean endOf(InputStream in) throws IOException {
    try {
      while (in.read() >= 0) {
        // what the server still sent before closing
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      return true;
    }
  }

  @Test
  void connectionsOverTheCapAreTurnedAway() throws Exception {
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 240; i++) {
        sockets.add(open(""));
      }
      // The test's own HTTP client may hold a few pooled connections as well.
      Http.await(() -> answered(sockets) >= 20, Duration.ofSeconds(30));
      int turnedAway = answered(sockets);
      assertThat(turnedAway).isBetween(20, 30);
      assertThat(answered(sockets.subList(0, 200))).as("of the first 200").isZero();
      Http.Raw answer = Http.read(sockets.get(sockets.size() - 1).getInputStream());
      assertThat(answer.status()).isEqualTo(503);
      assertThat(answer.headers()).containsEntry("content-type", "application/problem+json")
          .containsEntry("retry-after", "1");
      assertThat(answer.json().get("detail").asString()).isEqualTo("the server has its limit of"
          + " 220 connections open (streamline.http.max-connections); retry later");
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
    }
    // Closed connections free their places.
    Http.await(() -> http.get("/v1/models").statusCode() == 200, Duration.ofSeconds(30));
    assertThat(http.get("/v1/models").statusCode()).isEqualTo(200);
  }

  private static int answered(List<Socket> sockets) {
    int answered = 0;
    for (Socket socket : sockets) {
      try {
        answered += socket.getInputStream().available() > 0 ? 1 : 0;
      } catch (IOException e) {
        answered++;
      }
    }
    return answered;
  }
}
