package dev.streamline.service.api;

import java.net.URI;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.ObjectMapper;

/**
 * RFC 9457 problem bodies, as handlers ({@link ProblemHandler}) and filters (which answer before
 * any handler) write them: each names its request's {@code requestId} ({@link RequestId}), which
 * a client quotes to find the server's log line.
 */
public final class Problems {

  public static final String REQUEST_ID = "requestId";

  private Problems() {}

  /** Adds the request's id to a problem, one of ours or Spring's. */
  static ProblemDetail identified(ProblemDetail problem, ServerWebExchange exchange) {
    problem.setProperty(REQUEST_ID, RequestId.of(exchange));
    return problem;
  }

  static ResponseEntity<Object> entity(HttpStatus status, String detail, HttpHeaders headers,
      ServerWebExchange exchange) {
    return ResponseEntity.status(status).headers(headers)
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .body(identified(ProblemDetail.forStatusAndDetail(status, detail), exchange));
  }

  /** Answers the exchange with a problem, from a filter: no handler will write it. */
  public static Mono<Void> write(ServerWebExchange exchange, ObjectMapper json, HttpStatus status,
      String detail, HttpHeaders headers) {
    ProblemDetail problem = identified(ProblemDetail.forStatusAndDetail(status, detail), exchange);
    problem.setInstance(URI.create(exchange.getRequest().getPath().value()));
    byte[] body = json.writeValueAsBytes(problem);
    ServerHttpResponse response = exchange.getResponse();
    response.setStatusCode(status);
    response.getHeaders().addAll(headers);
    response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
    response.getHeaders().setContentLength(body.length);
    DataBuffer buffer = response.bufferFactory().wrap(body);
    return response.writeWith(Mono.just(buffer));
  }
}
