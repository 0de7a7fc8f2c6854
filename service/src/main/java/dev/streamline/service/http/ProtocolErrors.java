package dev.streamline.service.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.ContentLengthNotAllowedException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.net.URISyntaxException;
import reactor.netty.channel.ChannelOperations;

/**
 * Answers what Netty's HTTP codec could not decode, and request targets that Reactor Netty or
 * Spring cannot parse, with a problem that names the fault. Without it, Reactor Netty sends an
 * empty 400, 414 or 431; and for a malformed chunk in a body Spring was already reading, it sent
 * that empty 400 under Spring's feet, which then failed to write its own answer and logged an
 * error. Such a chunk now fails the body's reading instead, so Spring answers the 400
 * ({@link MalformedBody}), and the connection closes after it: the codec reads nothing more.
 * Sits between the codec and Reactor Netty's handler; one per connection.
 */
final class ProtocolErrors extends ChannelDuplexHandler {

  private final ClosingProblem problem;
  private final int maxLine;
  private final int maxHeaders;
  /** The codec failed on this connection: it discards the rest, and we close after the answer. */
  private boolean failed;
  /** The current request has had its whole answer written. */
  private boolean answered;

  ProtocolErrors(ClosingProblem problem, int maxLine, int maxHeaders) {
    this.problem = problem;
    this.maxLine = maxLine;
    this.maxHeaders = maxHeaders;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (failed) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest request && ChannelOperations.get(ctx.channel()) == null) {
      answered = false;
      Throwable cause = request.decoderResult().cause();
      String target = cause == null ? targetFault(request.uri()) : null;
      if (cause != null || target != null) {
        failed = true;
        ReferenceCountUtil.release(msg);
        if (cause instanceof TooLongHttpLineException) {
          problem.send(ctx, HttpResponseStatus.REQUEST_URI_TOO_LONG, "the request line is longer"
              + " than " + maxLine + " bytes; shorten the URI", null);
        } else if (cause instanceof TooLongHttpHeaderException) {
          problem.send(ctx, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
              "the request headers are larger than " + maxHeaders + " bytes", null);
        } else {
          problem.send(ctx, HttpResponseStatus.BAD_REQUEST,
              target != null ? target : requestFault(cause), null);
        }
        return;
      }
    } else if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
      failed = true;
      ReferenceCountUtil.release(msg);
      if (answered || ChannelOperations.get(ctx.channel()) == null) {
        ctx.close();
      } else {
        // Reactor Netty hands the error to the body's reader, which is Spring's decoder.
        ctx.fireExceptionCaught(new MalformedBody("malformed chunked encoding: "
            + printable(content.decoderResult().cause().getMessage())));
      }
      return;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof LastHttpContent) {
      answered = true;
      if (failed) {
        ctx.write(msg, promise).addListener(ChannelFutureListener.CLOSE);
        return;
      }
    }
    ctx.write(msg, promise);
  }

  /**
   * Why Reactor Netty (which decodes the path) or Spring (which parses the whole target as a URI)
   * would turn this target down, or null when neither would.
   */
  static String targetFault(String target) {
    for (int i = 0; i < target.length(); i++) {
      char c = target.charAt(i);
      if (c < 0x21 || c == 0x7f) {
        return String.format("the request target has the control character 0x%02x at index %d;"
            + " percent-encode it", (int) c, i);
      }
    }
    String prefix = target.startsWith("/") ? "http://localhost" : "";
    try {
      new URI(prefix + target).getPath();
      return null;
    } catch (URISyntaxException e) {
      return "the request target is no valid URI: " + e.getReason()
          + (e.getIndex() < 0 ? "" : " at index " + (e.getIndex() - prefix.length()));
    }
  }

  private static String requestFault(Throwable cause) {
    if (cause instanceof ContentLengthNotAllowedException) {
      return "a request may have a Content-Length or Transfer-Encoding: chunked, not both";
    }
    return "the request is not valid HTTP/1.1: " + printable(cause.getMessage());
  }

  /** Netty's message, with what it quotes of the request made printable and cut short. */
  private static String printable(String message) {
    if (message == null) {
      return "malformed";
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < message.length() && out.length() < 200; i++) {
      char c = message.charAt(i);
      out.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    return out.toString();
  }
}
