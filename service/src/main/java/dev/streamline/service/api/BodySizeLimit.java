package dev.streamline.service.api;

import dev.streamline.service.config.StreamlineProperties;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.codec.ServerCodecConfigurer;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import tools.jackson.databind.ObjectMapper;

/**
 * Turns down bodies over {@code streamline.limits.max-body-size} with a 413 problem: at once when
 * the Content-Length says so, or (through the codecs' in-memory limit, see {@link ProblemHandler})
 * as soon as a chunked body passes the limit.
 */
@Component
public class BodySizeLimit implements WebFilter, WebFluxConfigurer {

  private final long limit;
  private final String detail;
  private final ObjectMapper json;

  public BodySizeLimit(StreamlineProperties properties, ObjectMapper json) {
    this.limit = properties.limits().maxBodySize().toBytes();
    this.detail = detail(properties);
    this.json = json;
  }

  static String detail(StreamlineProperties properties) {
    return "the request body is over the limit of " + properties.limits().maxBodySize().toBytes()
        + " bytes (streamline.limits.max-body-size)";
  }

  @Override
  public void configureHttpMessageCodecs(ServerCodecConfigurer codecs) {
    codecs.defaultCodecs().maxInMemorySize(Math.toIntExact(limit));
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    if (exchange.getRequest().getHeaders().getContentLength() <= limit) {
      return chain.filter(exchange);
    }
    // The body stays unread, so Reactor Netty ends the connection after the answer (and says
    // so). Asking for that ourselves with "Connection: close" closes it at once, and a client
    // still sending then often loses the answer to the reset; Netty's own close does not.
    return Problems.write(exchange, json, HttpStatus.CONTENT_TOO_LARGE, detail, HttpHeaders.EMPTY);
  }
}
