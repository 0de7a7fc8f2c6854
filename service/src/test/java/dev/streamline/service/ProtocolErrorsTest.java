package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Requests that Netty turns down before Spring sees them still get a problem body that says
 * what was wrong, and none of them logs above WARN.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "streamline.bundled-models=false")
@ExtendWith(OutputCaptureExtension.class)
class ProtocolErrorsTest extends HttpTest {

  private static final String SAMPLES = "/v1/models/analytic-gmm-flow/samples";

  private void assertProblem(Http.Raw answer, int status, String detail) {
    assertThat(answer).as("answer").isNotNull();
    assertThat(answer.status()).as("%s", answer).isEqualTo(status);
    assertThat(answer.headers()).as("%s", answer)
        .containsEntry("content-type", "application/problem+json");
    assertThat(answer.json().get("status").asInt()).isEqualTo(status);
    assertThat(answer.json().get("title").asString()).isNotBlank();
    assertThat(answer.json().get("detail").asString()).isEqualTo(detail);
  }

  private static void assertQuiet(CapturedOutput log) {
    assertThat(log.getAll()).doesNotContain("ERROR", "\tat ");
  }

  @Test
  void badPercentEncoding(CapturedOutput log) {
    assertProblem(http.raw("GET /v1/models/%zz HTTP/1.1\r\nHost: x\r\n\r\n"), 400,
        "the request target is no valid URI: Malformed escape pair at index 11");
    assertQuiet(log);
  }

  @Test
  void controlCharacterInTheRequestLine(CapturedOutput log) {
    assertProblem(http.raw("GET /v1/mod\u0001els HTTP/1.1\r\nHost: x\r\n\r\n"), 400,
        "the request target has the control character 0x01 at index 7; percent-encode it");
    assertQuiet(log);
  }

  @Test
  void uriOverTheLimit(CapturedOutput log) {
    assertProblem(http.raw("GET /" + "a".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414,
        "the request line is longer than 4096 bytes; shorten the URI");
    assertQuiet(log);
  }

  @Test
  void headersOverTheLimit(CapturedOutput log) {
    assertProblem(http.raw("GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(9000)
        + "\r\n\r\n"), 431, "the request headers are larger than 8192 bytes");
    assertQuiet(log);
  }

  @Test
  void badChunk(CapturedOutput log) {
    assertProblem(http.raw("POST " + SAMPLES + " HTTP/1.1\r\nHost: x\r\n"
        + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "zz\r\n{\"n\":1}\r\n0\r\n\r\n"), 400,
        "unreadable request body: malformed chunked encoding: Invalid character in chunk size");
    assertQuiet(log);
  }

  @Test
  void contentLengthAndTransferEncoding(CapturedOutput log) {
    assertProblem(http.raw("POST " + SAMPLES + " HTTP/1.1\r\nHost: x\r\n"
        + "Content-Type: application/json\r\nContent-Length: 7\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n7\r\n{\"n\":1}\r\n0\r\n\r\n"), 400,
        "a request may have a Content-Length or Transfer-Encoding: chunked, not both");
    assertQuiet(log);
  }

  /** Was a 500: Jackson's encoder writes no "UTF-16", so no encoder was found for the answer. */
  @Test
  void jsonAskedInUtf16IsAnsweredInUtf8(CapturedOutput log) {
    for (String path : new String[] {"/actuator/health", "/v1/models"}) {
      Http.Raw answer = http.raw("GET " + path + " HTTP/1.1\r\nHost: x\r\n"
          + "Accept: application/json;charset=utf-16\r\n\r\n");
      assertThat(answer.status()).as("%s", answer).isEqualTo(200);
      assertThat(answer.headers().get("content-type")).startsWith("application/json");
      assertThat(answer.json().isObject()).isTrue();
    }
    assertQuiet(log);
  }
}
