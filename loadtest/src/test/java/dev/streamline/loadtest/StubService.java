package dev.streamline.loadtest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.streamline.sampler.analytic.GaussianMixture;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A stand-in for the service's API, for what the real service does not do on demand: it rejects
 * every other sampling or likelihood request (503 unless told otherwise, with a Retry-After if given), it
 * answers model {@value #BROKEN_MODEL} with samples of a shape too large to hold, and it exposes no
 * Prometheus metrics. Every sample is the exact mixture sample of its seed plus an error that
 * shrinks as 1/steps², every log-likelihood the exact one less 1/steps².
 */
final class StubService implements AutoCloseable {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  static final String BROKEN_MODEL = "broken";

  private final HttpServer server;
  private final AtomicLong requests = new AtomicLong();
  private final int rejection;
  private final String retryAfter;

  StubService() throws IOException {
    this(503, null);
  }

  /** @param retryAfter the rejections' Retry-After header, or null for none */
  StubService(int rejection, String retryAfter) throws IOException {
    this.rejection = rejection;
    this.retryAfter = retryAfter;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    try (exchange) {
      switch (path) {
        case "/v1/models" -> {
          ObjectNode root = MAPPER.createObjectNode();
          root.putArray("models").add(model(false));
          json(exchange, 200, root);
        }
        case "/v1/models/analytic-gmm-flow" -> json(exchange, 200, model(true));
        case "/v1/samplers" -> {
          ObjectNode root = MAPPER.createObjectNode();
          ArrayNode samplers = root.putArray("samplers");
          samplers.addObject().put("id", "rk4").put("stochastic", false).put("adaptive", false);
          samplers.addObject().put("id", "dopri5").put("stochastic", false).put("adaptive", true);
          samplers.addObject().put("id", "ddpm").put("stochastic", true).put("adaptive", false);
          json(exchange, 200, root);
        }
        case "/v1/models/analytic-gmm-flow/samples" -> sample(exchange);
        case "/v1/models/analytic-gmm-flow/likelihood" -> likelihood(exchange);
        // [65536, 65536] holds 2^32 numbers per sample, more than an int counts.
        case "/v1/models/" + BROKEN_MODEL + "/samples" -> send(exchange, 200, "application/json",
            "{\"nfe\":1,\"shape\":[65536,65536],\"samples\":[]}".getBytes(StandardCharsets.UTF_8));
        default -> problem(exchange, 404, "Not Found", "no resource " + path);
      }
    }
  }

  /** Every other request is refused; true when this one was. */
  private boolean rejected(HttpExchange exchange) throws IOException {
    if (requests.incrementAndGet() % 2 != 0) {
      return false;
    }
    if (retryAfter != null) {
      exchange.getResponseHeaders().set("Retry-After", retryAfter);
    }
    problem(exchange, rejection, "Rejected", "try again");
    return true;
  }

  /**
   * The exact log-density of each point less 1/steps², in 4·steps NFE; bits per dimension as the
   * service counts them for a 2D model.
   */
  private void likelihood(HttpExchange exchange) throws IOException {
    if (rejected(exchange)) {
      return;
    }
    JsonNode body = MAPPER.readTree(exchange.getRequestBody());
    int steps = body.path("steps").asInt();
    ObjectNode answer = MAPPER.createObjectNode();
    answer.put("model", "analytic-gmm-flow").put("nfe", 4 * steps);
    ArrayNode logLikelihood = answer.putArray("logLikelihood");
    ArrayNode bitsPerDim = answer.putArray("bitsPerDim");
    for (JsonNode point : body.path("samples")) {
      double log = GaussianMixture.standard2d().logDensity(
          new double[] {point.get(0).asDouble(), point.get(1).asDouble()}, 1, 0)
          - 1.0 / ((double) steps * steps);
      logLikelihood.add(log);
      bitsPerDim.add(-log / (2 * Math.log(2)));
    }
    json(exchange, 200, answer);
  }

  private void sample(HttpExchange exchange) throws IOException {
    if (rejected(exchange)) {
      return;
    }
    JsonNode body = MAPPER.readTree(exchange.getRequestBody());
    int n = body.path("n").asInt();
    long seed = body.path("seed").asLong();
    String sampler = body.path("sampler").asString();
    double error;
    int nfe;
    if (sampler.equals("dopri5")) {
      error = body.path("options").path("rtol").asDouble();
      nfe = 60;
    } else {
      int steps = body.path("steps").asInt();
      error = 1.0 / ((double) steps * steps);
      nfe = 4 * steps;
    }
    ObjectNode answer = MAPPER.createObjectNode();
    answer.put("model", "analytic-gmm-flow").put("sampler", sampler).put("nfe", nfe);
    answer.putArray("shape").add(2);
    ArrayNode samples = answer.putArray("samples");
    for (int i = 0; i < n; i++) {
      // Scrambled, because java.util.Random's first draws from neighbouring seeds are correlated.
      Random random = new Random((seed + i) * 0x9E3779B97F4A7C15L);
      double[] exact = GaussianMixture.standard2d().sample(1, random)[0];
      samples.addArray().add(exact[0] + error * random.nextGaussian())
          .add(exact[1] + error * random.nextGaussian());
    }
    json(exchange, 200, answer);
  }

  private static ObjectNode model(boolean withTarget) {
    ObjectNode model = MAPPER.createObjectNode();
    model.put("id", "analytic-gmm-flow").put("kind", "flow").put("process", "linear")
        .put("parameterization", "velocity").putNull("dataset");
    model.putArray("shape").add(2);
    model.putArray("classes");
    if (withTarget) {
      GaussianMixture mixture = GaussianMixture.standard2d();
      ObjectNode target = model.putObject("target");
      target.set("weights", MAPPER.valueToTree(mixture.weights()));
      target.set("means", MAPPER.valueToTree(mixture.means()));
      target.set("covariances", MAPPER.valueToTree(mixture.covariances()));
    }
    return model;
  }

  private static void json(HttpExchange exchange, int status, JsonNode body) throws IOException {
    send(exchange, status, "application/json", MAPPER.writeValueAsBytes(body));
  }

  private static void problem(HttpExchange exchange, int status, String title, String detail)
      throws IOException {
    ObjectNode body = MAPPER.createObjectNode();
    body.put("status", status).put("title", title).put("detail", detail);
    send(exchange, status, "application/problem+json", MAPPER.writeValueAsBytes(body));
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
