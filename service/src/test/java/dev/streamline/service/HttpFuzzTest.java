package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.slf4j.LoggerFactory;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Whatever bytes a client sends, at every layer from Netty's codec to the controllers (methods,
 * paths, query strings, headers, bodies and their framing, and bytes that are no HTTP at all),
 * the answer is never a 5xx, every 4xx is a problem body that names no Java internals, and
 * nothing is logged at ERROR. Property-based with jqwik: a failure prints its seed
 * ({@code @Property(seed = "...")} replays it) and its shrunk request.
 *
 * <p>Requests go out raw, one per connection, so that the generator can send what no HTTP client
 * would. Bodies ask for little sampling (the analytic models, a few steps), so that ten thousand
 * cases run in well under a minute.
 */
class HttpFuzzTest {

  private static ConfigurableApplicationContext service;
  private static int port;
  private static final ErrorLog errors = new ErrorLog();

  /** Every event at ERROR, or with a stack, from any logger. */
  static final class ErrorLog extends AppenderBase<ILoggingEvent> {
    private final List<String> events = new ArrayList<>();

    @Override
    protected synchronized void append(ILoggingEvent event) {
      if (event.getLevel().isGreaterOrEqual(Level.ERROR) || event.getThrowableProxy() != null) {
        events.add(event.getLevel() + " " + event.getLoggerName() + ": "
            + event.getFormattedMessage() + (event.getThrowableProxy() == null ? ""
            : " (" + event.getThrowableProxy().getClassName() + ": "
            + event.getThrowableProxy().getMessage() + ")"));
      }
    }

    synchronized List<String> drain() {
      List<String> drained = List.copyOf(events);
      events.clear();
      return drained;
    }
  }

  @BeforeContainer
  static void start() {
    service = new SpringApplicationBuilder(StreamlineApplication.class).properties(
        "server.port=0", "streamline.bundled-models=false",
        // A request the generator left short would otherwise wait the default 5 s and 10 s.
        "streamline.http.header-timeout=1s", "streamline.http.body-timeout=1s").run();
    port = Integer.parseInt(service.getEnvironment().getProperty("local.server.port"));
    new Http(port).awaitReady();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    errors.setContext(root.getLoggerContext());
    errors.start();
    root.addAppender(errors);
  }

  @AfterContainer
  static void stop() {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(errors);
    service.close();
  }

  @Property(tries = 8000, shrinking = ShrinkingMode.BOUNDED)
  void everyRequestGetsAnAnswerAndNoErrorIsLogged(@ForAll("requests") Request request) {
    check(request.bytes(), request.method().equals("HEAD"));
  }

  @Property(tries = 2000, shrinking = ShrinkingMode.BOUNDED)
  void bytesThatAreNoHttpGetAProblem(@ForAll("garbage") byte[] bytes) {
    check(bytes, false);
  }

  /**
   * One request: its parts as generated, and how its body is framed (CL: a Content-Length;
   * CHUNKED, BAD_CHUNK, BOTH: Transfer-Encoding, with a bad chunk size or a Content-Length too).
   */
  record Request(String method, String target, String version, List<String> headers,
      String body, Framing framing) {

    byte[] bytes() {
      StringBuilder head = new StringBuilder(method + " " + target + " " + version + "\r\n");
      headers.forEach(header -> head.append(header).append("\r\n"));
      byte[] content = body.getBytes(StandardCharsets.UTF_8);
      String framed = switch (framing) {
        case NONE -> "";
        case CL -> "Content-Length: " + content.length + "\r\n";
        case CHUNKED, BAD_CHUNK -> "Transfer-Encoding: chunked\r\n";
        case BOTH -> "Content-Length: " + content.length + "\r\nTransfer-Encoding: chunked\r\n";
      };
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes((head + framed + "\r\n").getBytes(StandardCharsets.UTF_8));
      switch (framing) {
        case NONE -> { }
        case CL -> out.writeBytes(content);
        case CHUNKED, BOTH -> out.writeBytes(chunked(content, Integer.toHexString(content.length)));
        case BAD_CHUNK -> out.writeBytes(chunked(content, "x" + content.length));
      }
      return out.toByteArray();
    }

    private static byte[] chunked(byte[] content, String size) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (content.length > 0) {
        out.writeBytes((size + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(content);
        out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      return out.toByteArray();
    }

    @Override
    public String toString() {
      return new String(bytes(), StandardCharsets.ISO_8859_1).replace("\r\n", "\\r\\n");
    }
  }

  enum Framing { NONE, CL, CHUNKED, BAD_CHUNK, BOTH }

  @Provide
  Arbitrary<Request> requests() {
    Arbitrary<String> method = Arbitraries.oneOf(
        Arbitraries.of("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE",
            "get", "FOO", "G\u0001T"),
        Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(8));
    Arbitrary<String> path = Arbitraries.oneOf(
        Arbitraries.of("/v1/models", "/v1/models/analytic-gmm-flow",
            "/v1/models/analytic-gmm-flow/samples", "/v1/models/analytic-gmm-vp/samples",
            "/v1/models/analytic-gmm-flow/likelihood", "/v1/models/analytic-gmm-flow/encode",
            "/v1/models/nope/samples", "/v1/samplers", "/actuator/health",
            "/actuator/health/readiness", "/actuator/info", "/actuator/env", "/", "*",
            "http://localhost/v1/models", "//v1//models", "/v1/models/../samplers",
            "/v1/models/%61nalytic-gmm-flow"),
        Combinators.combine(Arbitraries.of("/v1/models/", "/", "/actuator/"), text())
            .as((a, b) -> a + b),
        Arbitraries.strings().ofLength(5000).withChars('a').map(a -> "/" + a));
    Arbitrary<String> query = Arbitraries.oneOf(Arbitraries.just(""),
        text().map(q -> "?" + q), Arbitraries.of("?n=1", "?a=%zz", "?a=b&&c", "?#x"));
    Arbitrary<String> target = Combinators.combine(path, query).as((p, q) -> p + q);
    Arbitrary<String> version = Arbitraries.of("HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0",
        "HTTP/2.0", "HTTP/0.9", "HTTP/1.1x", "http/1.1", "HTTP/3");
    Arbitrary<List<String>> headers = header().list().ofMaxSize(6)
        .map(list -> {
          List<String> all = new ArrayList<>(list);
          all.add(0, "Host: localhost");
          return all;
        });
    Arbitrary<Framing> framing = Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.just(Framing.NONE)),
        Tuple.of(8, Arbitraries.just(Framing.CL)),
        Tuple.of(3, Arbitraries.just(Framing.CHUNKED)),
        Tuple.of(1, Arbitraries.just(Framing.BAD_CHUNK)),
        Tuple.of(1, Arbitraries.just(Framing.BOTH)));
    return Combinators.combine(method, target, version, headers, body(), framing)
        .as(Request::new);
  }

  /** Text with the characters that trip parsers: %, control characters, quotes, non-ASCII. */
  private static Arbitrary<String> text() {
    return Arbitraries.oneOf(
        Arbitraries.strings().alpha().numeric().withChars("-._~%/?#[]@!$&'()*+,;=").ofMaxLength(12),
        Arbitraries.strings().withCharRange('\u0000', '\u00ff').ofMaxLength(6),
        Arbitraries.strings().withChars("%zZ0\u00e9\u4e2d\u0007 |{}\"\\").ofMaxLength(6));
  }

  private static Arbitrary<String> header() {
    Arbitrary<String> accept = Arbitraries.of("application/json", "application/x-npy",
        "image/png", "*/*", "text/csv", "garbage", ";;;", "application/json;charset=utf-16",
        "application/json;q=0", "application/*;q=0.5, image/*", "application/problem+json",
        "application/json;charset=foo", "");
    Arbitrary<String> contentType = Arbitraries.of("application/json", "text/plain",
        "application/json;charset=utf-16", "application/json;charset=latin1",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "garbage", "/",
        "application/json;charset=\"", "");
    return Arbitraries.oneOf(
        accept.map(a -> "Accept: " + a),
        contentType.map(c -> "Content-Type: " + c),
        Arbitraries.of("Connection: close", "Connection: keep-alive", "Accept-Encoding: gzip",
            "Content-Encoding: gzip", "Host: localhost", "Host: [::1", "Host: a b",
            "Host: localhost:99999", "Cookie: a=b", "Authorization: Bearer x",
            "Forwarded: for=\"[x\"", "X-Forwarded-Host: a/b", "X-Forwarded-Proto: gopher",
            "X-Forwarded-Port: x", "Range: bytes=0-1", "If-None-Match: *", "Origin: http://x",
            "Access-Control-Request-Method: POST", "Upgrade: h2c", "Transfer-Encoding: gzip",
            "Content-Length: -1", "Content-Length: x", "Content-Length: 1, 2",
            " Folded: header", "No-Colon", ": empty-name", "X-Big: " + "b".repeat(9000)),
        Combinators.combine(Arbitraries.strings().withCharRange('!', '~').ofMinLength(1)
            .ofMaxLength(10), text()).as((name, value) -> name + ": " + value));
  }

  /** JSON sample requests, valid and not, and bodies that are no JSON. */
  private static Arbitrary<String> body() {
    Arbitrary<String> value = Arbitraries.of("1", "2", "0", "-1", "1.5", "1e-300", "1e400",
        "\"2\"", "true", "null", "[]", "{}", "[1]", "\"euler\"", "\"heun\"", "\"dopri5\"",
        "\"ddim\"", "\"x\"", "9223372036854775808", "\"karras\"", "[[0,0]]", "[0]");
    Arbitrary<String> name = Arbitraries.of("n", "steps", "sampler", "seed", "options",
        "labels", "latents", "returnTrajectory", "output", "diagnostics", "guidance", "nope");
    Arbitrary<String> option = Arbitraries.of("eta", "rho", "timeGrid", "clip", "threshold",
        "rtol", "maxNfe", "shift", "nope");
    Arbitrary<String> options = Combinators.combine(option, value).as((o, v) -> "\"" + o + "\":" + v)
        .list().ofMaxSize(3).map(list -> "{" + String.join(",", list) + "}");
    Arbitrary<String> field = Arbitraries.oneOf(
        Combinators.combine(name, value).as((k, v) -> "\"" + k + "\":" + v),
        options.map(o -> "\"options\":" + o));
    Arbitrary<String> request = Combinators.combine(
            Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, 4),
            field.list().ofMaxSize(3))
        .as((n, steps, fields) -> {
          List<String> all = new ArrayList<>(List.of("\"n\":" + n, "\"steps\":" + steps));
          all.addAll(fields);
          return "{" + String.join(",", all) + "}";
        });
    return Arbitraries.oneOf(request, request.map(r -> r.substring(0, r.length() / 2)),
        Arbitraries.just(""), Arbitraries.strings().withCharRange('\u0000', '\u00ff')
            .ofMaxLength(40), Arbitraries.of("[{\"n\":1}]", "{\"n\":1} {}", "\"x\"",
            "{\"n\":1,\"n\":2}", "[".repeat(2000), "{\"n\":1" + "0".repeat(1100) + "}"));
  }

  @Provide
  Arbitrary<byte[]> garbage() {
    return Arbitraries.oneOf(
        Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(200),
        Arbitraries.strings().withCharRange('\u0000', '\u007f').ofMinLength(1).ofMaxLength(200)
            .map(s -> s.getBytes(StandardCharsets.US_ASCII)))
        .map(bytes -> {
          byte[] terminated = new byte[bytes.length + 4];
          System.arraycopy(bytes, 0, terminated, 0, bytes.length);
          System.arraycopy("\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0, terminated,
              bytes.length, 4);
          return terminated;
        });
  }

  /**
   * Sends the bytes and checks the one answer: that there is one; a status below 500; a problem
   * for a 4xx (a HEAD answer has no body to check); and no error in the log meanwhile.
   */
  private static void check(byte[] bytes, boolean head) {
    Http.Raw answer = send(bytes, head);
    assertThat(answer).as("an answer").isNotNull();
    assertThat(answer.status()).as("status of %s", answer).isLessThan(500);
    if (answer.status() >= 400 && !head) {
      Problems.assertProblem(answer.status(), answer.headers().get("content-type"),
          answer.body(), answer.toString());
    }
    assertThat(errors.drain()).as("errors logged").isEmpty();
  }

  private static Http.Raw send(byte[] bytes, boolean head) {
    try (Socket socket = new Socket("localhost", port)) {
      socket.setSoTimeout(15_000);
      try {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
      } catch (SocketException e) {
        // The server answered and closed before all was sent: read what it answered.
      }
      return Http.read(socket.getInputStream(), head);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no answer within 15 s", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
