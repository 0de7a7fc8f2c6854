package dev.streamline.service.api;

import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * The id that ties a request's answer, problem body and log line together: the client's own
 * {@code X-Request-Id} when it is a plain token (so a gateway's id carries through), else a fresh
 * UUID; echoed in the answer's {@code X-Request-Id}. Anything else a client sends there is
 * ignored rather than refused, as it would otherwise reach the logs verbatim.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class RequestId implements WebFilter {

  public static final String HEADER = "X-Request-Id";
  /** Letters, digits and {@code . _ : -}, as gateways' ids (UUIDs, trace ids) are. */
  private static final Pattern WELL_FORMED = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final String ATTRIBUTE = RequestId.class.getName();

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    String given = exchange.getRequest().getHeaders().getFirst(HEADER);
    String id = given != null && WELL_FORMED.matcher(given).matches()
        ? given : UUID.randomUUID().toString();
    exchange.getAttributes().put(ATTRIBUTE, id);
    exchange.getResponse().getHeaders().set(HEADER, id);
    return chain.filter(exchange);
  }

  /** The request's id; one the filter has not seen (none in practice) gets one now. */
  public static String of(ServerWebExchange exchange) {
    return exchange.getAttributes()
        .computeIfAbsent(ATTRIBUTE, key -> UUID.randomUUID().toString()).toString();
  }
}
