package dev.streamline.loadtest;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** The calls the load test makes to a Streamline service, with its errors made readable. */
public final class ServiceClient {

  private static final ObjectMapper MAPPER = JsonMapper.builderWithJackson2Defaults().build();

  private final URI base;
  private final Duration timeout;
  private final HttpClient http;

  public ServiceClient(URI base, Duration timeout) {
    String text = base.toString();
    this.base = URI.create(text.endsWith("/") ? text : text + "/");
    this.timeout = timeout;
    // HTTP/1.1 with one connection per request in flight, as simple clients and proxies talk to
    // the service; Java's default would try an h2c upgrade on every new connection.
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  public URI base() {
    return base;
  }

  /** {@code GET /v1/models}: the models array. */
  public JsonNode models() throws ServiceException {
    return getJson("v1/models").path("models");
  }

  /** {@code GET /v1/models/{id}}. */
  public JsonNode model(String id) throws ServiceException {
    return getJson("v1/models/" + id);
  }

  /** {@code GET /v1/samplers}: the samplers array. */
  public JsonNode samplers() throws ServiceException {
    return getJson("v1/samplers").path("samplers");
  }

  /** Whether {@code /actuator/health/readiness} says UP: every configured model has loaded. */
  public boolean ready() {
    try {
      send(get("actuator/health/readiness", "application/json"));
      return true;
    } catch (ServiceException e) {
      return false;
    }
  }

  /** {@code GET /actuator/info}, or null where the service does not expose it. */
  public JsonNode info() {
    try {
      return getJson("actuator/info");
    } catch (ServiceException e) {
      return null;
    }
  }

  /** {@code GET /actuator/prometheus} as text, or null where the service does not expose it. */
  public String prometheus() {
    try {
      return new String(send(get("actuator/prometheus", "text/plain")), StandardCharsets.UTF_8);
    } catch (ServiceException e) {
      return null;
    }
  }

  /** Starts a sampling request; the future fails with a {@link ServiceException}. */
  public CompletableFuture<ReceivedSamples> sample(String model, ObjectNode body,
      boolean keepSamples) {
    HttpRequest request = post("v1/models/" + model + "/samples", body);
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
        .handle((response, failure) -> {
          if (failure != null) {
            throw new CompletionException(transportFailure(failure));
          }
          try {
            return ReceivedSamples.parse(checked(response), keepSamples);
          } catch (ServiceException e) {
            throw new CompletionException(e);
          } catch (IOException | RuntimeException e) {
            // A runtime failure here is the answer's too (a shape whose size overflows an int).
            throw new CompletionException(new ServiceException(response.statusCode(),
                "unreadable answer from " + request.uri() + ": " + oneLine(e)));
          }
        });
  }

  /** A sampling request, waited for. */
  public ReceivedSamples sampleNow(String model, ObjectNode body, boolean keepSamples)
      throws ServiceException {
    try {
      return sample(model, body, keepSamples).get();
    } catch (ExecutionException e) {
      throw failure(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServiceException("interrupted", e);
    }
  }

  /**
   * {@code POST /v1/models/{id}/likelihood}, waited for: the answer's {@code logLikelihood},
   * {@code bitsPerDim} and {@code nfe}.
   */
  public JsonNode likelihood(String model, ObjectNode body) throws ServiceException {
    return json(post("v1/models/" + model + "/likelihood", body));
  }

  private HttpRequest post(String path, ObjectNode body) {
    return HttpRequest.newBuilder(base.resolve(path))
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
        .build();
  }

  /**
   * What made a request's future fail, as a {@link ServiceException} whatever its type: the
   * service's own or a transport failure as they are, anything else unexpected named with its
   * class, so that callers print one line rather than fail on a cast.
   */
  static ServiceException failure(Throwable failure) {
    Throwable cause = unwrapped(failure);
    if (cause instanceof ServiceException service) {
      return service;
    }
    return new ServiceException("request failed: " + cause.getClass().getSimpleName()
        + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause);
  }

  private static Throwable unwrapped(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  private JsonNode getJson(String path) throws ServiceException {
    return json(get(path, "application/json"));
  }

  private JsonNode json(HttpRequest request) throws ServiceException {
    byte[] body = send(request);
    try {
      return MAPPER.readTree(body);
    } catch (JacksonException e) {
      throw new ServiceException(200, request.uri() + " did not answer JSON: " + oneLine(e));
    }
  }

  /** Jackson's messages go on with a second line, where in the input the problem was. */
  private static String oneLine(Exception e) {
    return e instanceof JacksonException json ? json.getOriginalMessage() : e.getMessage();
  }

  private HttpRequest get(String path, String accept) {
    return HttpRequest.newBuilder(base.resolve(path))
        .timeout(timeout)
        .header("Accept", accept)
        .GET()
        .build();
  }

  private byte[] send(HttpRequest request) throws ServiceException {
    try {
      return checked(http.send(request, HttpResponse.BodyHandlers.ofByteArray()));
    } catch (IOException e) {
      throw transportFailure(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServiceException("interrupted", e);
    }
  }

  /** The body of a 2xx answer; any other status becomes an exception carrying its problem detail. */
  private static byte[] checked(HttpResponse<byte[]> response) throws ServiceException {
    int status = response.statusCode();
    if (status / 100 == 2) {
      return response.body();
    }
    throw new ServiceException(status, "HTTP " + status + " from " + response.request().method()
        + " " + response.request().uri() + ": " + problem(response.body()), retryAfter(response));
  }

  /**
   * Retry-After in delta-seconds, the form the service sends; an HTTP-date or anything else counts
   * as not said, and the caller falls back to its own backoff.
   */
  private static Duration retryAfter(HttpResponse<byte[]> response) {
    return response.headers().firstValue("Retry-After").map(String::strip)
        .filter(value -> value.matches("\\d{1,9}"))
        .map(value -> Duration.ofSeconds(Long.parseLong(value)))
        .orElse(null);
  }

  /** An RFC 9457 problem's title and detail, or the start of whatever else came. */
  private static String problem(byte[] body) {
    String text = new String(body, StandardCharsets.UTF_8).strip();
    try {
      JsonNode node = MAPPER.readTree(text);
      if (node != null && node.isObject()) {
        String title = node.path("title").asString("");
        String detail = node.path("detail").asString("");
        String joined = title.isEmpty() || detail.isEmpty() ? title + detail : title + ": " + detail;
        if (!joined.isEmpty()) {
          return joined;
        }
      }
    } catch (JacksonException e) {
      // Not JSON: fall through to the raw text.
    }
    if (text.isEmpty()) {
      return "(empty body)";
    }
    return text.length() > 300 ? text.substring(0, 300) + "…" : text;
  }

  private ServiceException transportFailure(Throwable failure) {
    Throwable cause = unwrapped(failure);
    String why;
    if (cause instanceof HttpConnectTimeoutException) {
      why = "connection timed out";
    } else if (cause instanceof HttpTimeoutException) {
      why = "no answer within " + timeout.toSeconds() + " s";
    } else if (cause instanceof ConnectException || cause.getCause() instanceof ConnectException) {
      why = "connection refused";
    } else if (cause instanceof UnresolvedAddressException
        || cause.getCause() instanceof UnresolvedAddressException) {
      why = "unknown host";
    } else {
      why = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    }
    return new ServiceException("cannot reach the service at " + base + ": " + why, cause);
  }
}
