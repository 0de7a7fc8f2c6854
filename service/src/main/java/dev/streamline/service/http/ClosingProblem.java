package dev.streamline.service.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import tools.jackson.databind.ObjectMapper;

/**
 * An RFC 9457 problem that the Netty layer answers itself, for a request that never reaches
 * Spring (or a connection that sent none), after which the connection closes: what is left on it
 * cannot be read as requests.
 */
final class ClosingProblem {

  private final ObjectMapper json;

  ClosingProblem(ObjectMapper json) {
    this.json = json;
  }

  /** Writes the problem from {@code ctx}, which must sit after the HTTP codec, and closes. */
  void send(ChannelHandlerContext ctx, HttpResponseStatus status, String detail,
      String retryAfter) {
    byte[] body = json.writeValueAsBytes(
        ProblemDetail.forStatusAndDetail(HttpStatus.valueOf(status.code()), detail));
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        Unpooled.wrappedBuffer(body));
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, MediaType.APPLICATION_PROBLEM_JSON_VALUE)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    if (retryAfter != null) {
      response.headers().set(HttpHeaderNames.RETRY_AFTER, retryAfter);
    }
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }
}
