package dev.streamline.service.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Holds the open connections to {@code streamline.http.max-connections}: one more gets a 503
 * problem and is closed, so that file descriptors and memory per connection stay bounded however
 * many clients connect. Shared by every connection; sits after the HTTP codec.
 */
@ChannelHandler.Sharable
final class ConnectionCap extends ChannelInboundHandlerAdapter {

  private final ClosingProblem problem;
  private final int max;
  private final AtomicInteger open = new AtomicInteger();

  ConnectionCap(ClosingProblem problem, int max) {
    this.problem = problem;
    this.max = max;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.fireChannelActive();
    if (open.incrementAndGet() > max) {
      problem.send(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "the server has its limit of "
          + max + " connections open (streamline.http.max-connections); retry later", "1");
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    open.decrementAndGet();
    ctx.fireChannelInactive();
  }
}
