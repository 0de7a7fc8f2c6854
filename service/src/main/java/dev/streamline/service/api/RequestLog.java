package dev.streamline.service.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import org.springframework.web.util.DisconnectedClientHelper;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * One event per request when it ends: a line of the {@code streamline.requests} log at INFO
 * (off unless that logger is set to INFO) whose key-value pairs (requestId, method, path, model,
 * status, outcome, durationMs) become fields of the structured (JSON) log formats, and for a
 * client that hung up the {@code streamline.disconnects} count. A hang-up is routine: it is
 * never logged above DEBUG.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
public class RequestLog implements WebFilter {

  /** What nginx answers a client that closed its connection first; no client ever reads it. */
  static final int CLIENT_CLOSED_REQUEST = 499;
  private static final Logger log = LoggerFactory.getLogger("streamline.requests");
  private static final String OUTCOME = RequestLog.class.getName() + ".outcome";
  private static final String ERROR = RequestLog.class.getName() + ".error";

  private final Counter disconnects;

  public RequestLog(MeterRegistry meters) {
    this.disconnects = Counter.builder("streamline.disconnects")
        .description("Requests whose client hung up before its answer was written")
        .register(meters);
  }

  /** The outcome the request log shows, where it is more than the status says. */
  static void outcome(ServerWebExchange exchange, String outcome) {
    exchange.getAttributes().put(OUTCOME, outcome);
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    long started = System.nanoTime();
    return chain.filter(exchange)
        .doOnError(e -> exchange.getAttributes().put(ERROR, e))
        .doFinally(signal -> ended(exchange, signal, started));
  }

  private void ended(ServerWebExchange exchange, SignalType signal, long started) {
    HttpStatusCode given = exchange.getResponse().getStatusCode();
    Throwable error = exchange.getAttribute(ERROR);
    boolean hungUp = signal == SignalType.CANCEL
        || given != null && given.value() == CLIENT_CLOSED_REQUEST
        || DisconnectedClientHelper.isClientDisconnectedException(error);
    int status = hungUp ? CLIENT_CLOSED_REQUEST
        : error != null && given == null ? 500 : given == null ? 200 : given.value();
    if (hungUp) {
      disconnects.increment();
    }
    if (!log.isInfoEnabled()) {
      return;
    }
    String outcome = hungUp ? "disconnected" : exchange.getAttributeOrDefault(OUTCOME,
        status < 400 ? "ok" : status < 500 ? "refused" : status == 503 ? "unavailable" : "error");
    Map<String, String> variables =
        exchange.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE);
    String model = variables == null ? null : variables.get("id");
    String method = exchange.getRequest().getMethod().name();
    String path = exchange.getRequest().getPath().value();
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    var event = log.atInfo()
        .addKeyValue(Problems.REQUEST_ID, RequestId.of(exchange))
        .addKeyValue("method", method)
        .addKeyValue("path", path);
    if (model != null) {
      event = event.addKeyValue("model", model);
    }
    event.addKeyValue("status", status)
        .addKeyValue("outcome", outcome)
        .addKeyValue("durationMs", millis)
        .log("{} {} {} {} in {} ms (request {})", method, path, status, outcome, millis,
            RequestId.of(exchange));
  }
}
