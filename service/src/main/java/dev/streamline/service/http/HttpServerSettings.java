package dev.streamline.service.http;

import dev.streamline.service.config.StreamlineProperties;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.ReadTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;
import org.springframework.web.util.DisconnectedClientHelper;
import reactor.core.publisher.Hooks;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.ObjectMapper;

/**
 * Reactor Netty as {@code streamline.http} sets it: Reactor Netty's own body (read) and idle
 * timeouts, and our handlers for what it lacks: the header timeout, the connection cap, and
 * problem answers to requests its codec turns down. Runs after Spring Boot's customizer of the
 * same server, so it reads the decoder limits Boot set ({@code server.netty.max-initial-line-length},
 * {@code server.max-http-request-header-size}) to name them in its answers.
 */
@Component
public class HttpServerSettings
    implements WebServerFactoryCustomizer<NettyReactiveWebServerFactory>, Ordered {

  private static final Logger log = LoggerFactory.getLogger(HttpServerSettings.class);

  private final StreamlineProperties.Http settings;
  private final ClosingProblem problem;

  public HttpServerSettings(StreamlineProperties properties, ObjectMapper json) {
    this.settings = properties.http();
    this.problem = new ClosingProblem(json);
    // Reactor Netty hands a body's error to its reader, and once more as the connection's
    // request ends, when the reader has finished and Reactor drops it, by default with an ERROR
    // and a stack. For the errors of a client's body (a malformed chunk, a body that stopped
    // coming) that second signal is routine, and so is a client's hang-up, which a connection
    // reset during a body's read signals twice (RequestLog counts it). Reset first: the hook adds
    // up, and each application context (a test's, say) builds this again.
    Hooks.resetOnErrorDropped();
    Hooks.onErrorDropped(error -> {
      if (error instanceof MalformedBody || error instanceof ReadTimeoutException) {
        log.debug("a request body's error, signalled again as its request ended", error);
      } else if (DisconnectedClientHelper.isClientDisconnectedException(error)) {
        log.debug("client hung up: {}", error.toString());
      } else {
        log.error("Operator called default onErrorDropped", error);
      }
    });
  }

  @Override
  public int getOrder() {
    return Ordered.LOWEST_PRECEDENCE;
  }

  @Override
  public void customize(NettyReactiveWebServerFactory factory) {
    factory.addServerCustomizers(this::apply);
  }

  private HttpServer apply(HttpServer server) {
    int maxLine = server.configuration().decoder().maxInitialLineLength();
    int maxHeaders = server.configuration().decoder().maxHeaderSize();
    ConnectionCap cap = new ConnectionCap(problem, settings.maxConnections());
    return server
        .readTimeout(settings.bodyTimeout())
        .idleTimeout(settings.idleTimeout())
        .doOnChannelInit((observer, channel, address) -> {
          ChannelPipeline pipeline = channel.pipeline();
          HeaderTimeout headers = new HeaderTimeout(problem, settings.headerTimeout());
          pipeline.addBefore(NettyPipeline.HttpCodec, "streamline.headerTimeout.bytes",
              headers.bytes());
          pipeline.addAfter(NettyPipeline.HttpCodec, "streamline.protocolErrors",
              new ProtocolErrors(problem, maxLine, maxHeaders));
          pipeline.addAfter(NettyPipeline.HttpCodec, "streamline.connectionCap", cap);
          pipeline.addAfter(NettyPipeline.HttpCodec, "streamline.headerTimeout.requests",
              headers.requests());
        });
  }
}
