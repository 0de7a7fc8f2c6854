package dev.streamline.service.http;

import dev.streamline.service.config.StreamlineProperties;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import reactor.netty.channel.ChannelOperations;

/**
 * Closes a connection whose request headers take longer than {@code streamline.http.header-timeout}
 * from the request's first byte, with a 408 problem. The time between requests is the idle
 * timeout's, and the body's the body timeout's (both Reactor Netty's own): neither covers a
 * client that trickles its headers in. One per connection, in two handlers: {@link #bytes()}
 * before the HTTP codec sees a request start, {@link #requests()} after it sees its headers end.
 */
final class HeaderTimeout {

  private final ClosingProblem problem;
  private final Duration timeout;
  private ScheduledFuture<?> timer;
  /** Between a request's headers and its last content, when bytes are body, not headers. */
  private boolean inRequest;
  /** Where {@link #requests()} sits: a problem written there goes through the codec. */
  private ChannelHandlerContext afterCodec;

  HeaderTimeout(ClosingProblem problem, Duration timeout) {
    this.problem = problem;
    this.timeout = timeout;
  }

  ChannelHandler bytes() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!inRequest && timer == null) {
          timer = ctx.executor().schedule(HeaderTimeout.this::expire, timeout.toNanos(),
              TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelRead(msg);
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
      }
    };
  }

  ChannelHandler requests() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void handlerAdded(ChannelHandlerContext ctx) {
        afterCodec = ctx;
      }

      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
          cancel();
          inRequest = !(msg instanceof LastHttpContent);
        } else if (msg instanceof LastHttpContent) {
          inRequest = false;
        }
        ctx.fireChannelRead(msg);
      }
    };
  }

  private void expire() {
    timer = null;
    if (!afterCodec.channel().isActive()) {
      return;
    }
    // A previous request's answer may still be on its way: a problem now would cut into it.
    if (ChannelOperations.get(afterCodec.channel()) != null) {
      afterCodec.close();
      return;
    }
    problem.send(afterCodec, HttpResponseStatus.REQUEST_TIMEOUT,
        "the request headers did not arrive within " + StreamlineProperties.text(timeout)
            + " of its first byte (streamline.http.header-timeout)", null);
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
