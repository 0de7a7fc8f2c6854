package dev.streamline.service;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** Real HTTP calls to the service under test. */
public final class Http {

  public static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  private final int port;
  private final String base;

  public Http(int port) {
    this.port = port;
    this.base = "http://localhost:" + port;
  }

  /**
   * POSTs JSON on a connection of its own and returns it unread: closing it is a client that
   * hangs up.
   */
  public Socket postAndHold(String path, String body) {
    return postAndHold(path, body, InetAddress.getLoopbackAddress(), Map.of());
  }

  /** {@link #postAndHold(String, String)} from a local address of the loopback net (127/8). */
  public Socket postAndHold(String path, String body, InetAddress from,
      Map<String, String> headers) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try {
      Socket socket = new Socket(InetAddress.getLoopbackAddress(), port, from, 0);
      StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: localhost\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n");
      headers.forEach((name, value) -> head.append(name).append(": ").append(value)
          .append("\r\n"));
      OutputStream out = socket.getOutputStream();
      out.write((head + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(bytes);
      out.flush();
      return socket;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * An answer read off a raw connection: its status, headers (names in lower case) and body.
   */
  public record Raw(int status, Map<String, String> headers, String body) {
    public JsonNode json() {
      return JSON.readTree(body);
    }

    @Override
    public String toString() {
      return status + " " + headers + " " + body;
    }
  }

  /** POSTs JSON from a local address of the loopback net and reads the answer to its end. */
  public Raw postFrom(InetAddress from, String path, String body) {
    try (Socket socket = postAndHold(path, body, from, Map.of("Connection", "close"))) {
      return read(socket.getInputStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Sends a request's head and part of its body on a connection of its own, then hangs up: with
   * a reset (RST) or an orderly close (FIN).
   */
  public void hangUpMidBody(String path, boolean reset) {
    try (Socket socket = new Socket("localhost", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\n"
          + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"n\":")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Thread.sleep(200);
      if (reset) {
        socket.setSoLinger(true, 0);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A request with the given headers (a body, when given, as JSON). */
  public HttpResponse<byte[]> send(String method, String path, String body,
      Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    headers.forEach(request::header);
    return send(request.build());
  }

  /**
   * Sends these bytes on a connection of its own, as they are (for what no HTTP client sends),
   * and reads the one answer; null when the server closed the connection without one.
   */
  public Raw raw(byte[] request) {
    try (Socket socket = new Socket("localhost", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      return read(socket.getInputStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Raw raw(String request) {
    return raw(request.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** One answer; null when the connection ends before it. */
  public static Raw read(InputStream in) throws IOException {
    return read(in, false);
  }

  /**
   * One answer, its body by Content-Length or chunked (none after a HEAD); null when the
   * connection ends (or is reset) before it.
   */
  public static Raw read(InputStream in, boolean head) throws IOException {
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    while (!received.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b;
      try {
        b = in.read();
      } catch (SocketException e) {
        b = -1;
      }
      if (b < 0) {
        if (received.size() == 0) {
          return null;
        }
        throw new IOException("connection closed in an answer's head: " + received);
      }
      received.write(b);
    }
    String[] lines = received.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    Map<String, String> headers = new TreeMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT),
          lines[i].substring(colon + 1).trim());
    }
    String body = head ? ""
        : "chunked".equals(headers.get("transfer-encoding")) ? dechunk(in)
        : new String(in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0"))),
            StandardCharsets.UTF_8);
    return new Raw(Integer.parseInt(lines[0].substring(9, 12)), headers, body);
  }

  private static String dechunk(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      StringBuilder size = new StringBuilder();
      for (int b = in.read(); b != '\n'; b = in.read()) {
        if (b < 0) {
          throw new IOException("the chunked answer ended early");
        }
        size.append((char) b);
      }
      int length = Integer.parseInt(size.toString().trim(), 16);
      body.writeBytes(in.readNBytes(length + 2));
      if (length == 0) {
        return body.toString(StandardCharsets.UTF_8);
      }
    }
  }

  public HttpResponse<byte[]> get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET().build());
  }

  public HttpResponse<byte[]> post(String path, String body, String accept) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (accept != null) {
      request.header("Accept", accept);
    }
    return send(request.build());
  }

  /** A POST with the given Content-Type and Accept headers; null leaves a header out. */
  public HttpResponse<byte[]> post(String path, String body, String contentType, String accept) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    if (accept != null) {
      request.header("Accept", accept);
    }
    return send(request.build());
  }

  /** A POST whose body is sent chunked, without a Content-Length. */
  public HttpResponse<byte[]> postChunked(String path, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)))
        .build());
  }

  public JsonNode getJson(String path) {
    return json(get(path));
  }

  public static JsonNode json(HttpResponse<byte[]> response) {
    return JSON.readTree(new String(response.body(), StandardCharsets.UTF_8));
  }

  private static HttpResponse<byte[]> send(HttpRequest request) {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Waits until readiness is UP (the models load in the background). */
  public void awaitReady() {
    long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < end) {
      if (get("/actuator/health/readiness").statusCode() == 200) {
        return;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    throw new AssertionError("the service did not become ready");
  }

  /** Polls until the condition holds or the time is up; the caller asserts what it waited for. */
  public static void await(BooleanSupplier condition, Duration within) {
    long end = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < end) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** The value of one Prometheus series, or 0 when it is absent. */
  public double metric(String series) {
    String text = new String(get("/actuator/prometheus").body(), StandardCharsets.UTF_8);
    for (String line : text.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    return 0;
  }
}
