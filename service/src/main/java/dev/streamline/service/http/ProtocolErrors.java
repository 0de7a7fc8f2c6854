package dev.streamline.service.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.ContentLengthNotAllowedException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
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
      if (turnedDown(ctx, request)) {
        failed = true;
        ReferenceCountUtil.release(msg);
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

  /** Answers the request's fault and is true, or is false for a request to pass on. */
  private boolean turnedDown(ChannelHandlerContext ctx, HttpRequest request) {
    Throwable cause = request.decoderResult().cause();
    HttpResponseStatus status = HttpResponseStatus.BAD_REQUEST;
    String detail;
    if (cause instanceof TooLongHttpLineException) {
      status = HttpResponseStatus.REQUEST_URI_TOO_LONG;
      detail = "the request line is longer than " + maxLine + " bytes; shorten the URI";
    } else if (cause instanceof TooLongHttpHeaderException) {
      status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
      detail = "the request headers are larger than " + maxHeaders + " bytes";
    } else if (cause != null) {
      detail = requestFault(cause);
    } else if (request.protocolVersion().majorVersion() != 1) {
      // Reactor Netty turns down HTTP/2.0 with an empty 400; Netty reads HTTP/0.9 as a version.
      // A 400, not 505: a client's request gets no 5xx, which would read as the server's fault.
      detail = "this server speaks HTTP/1.1 and HTTP/1.0; the request is "
          + request.protocolVersion();
    } else {
      detail = targetFault(request.uri());
      if (detail == null) {
        detail = hostFault(request.headers().getAll(HttpHeaderNames.HOST));
      }
    }
    if (detail == null) {
      return false;
    }
    problem.send(ctx, status, detail, null);
    return true;
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
    if (target.startsWith("//")) {
      // Spring reads a target that begins with "//" as a host, not a path, and fails with a 500.
      return "the request target begins with '//', which reads as a host; start the path with"
          + " one '/'";
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

  /**
   * Why the Host headers name no one authority (host and port) that the URI of the request can
   * be built from, or null when they do.
   */
  static String hostFault(List<String> hosts) {
    if (hosts.size() > 1) {
      return "the request has " + hosts.size() + " Host headers; send one";
    }
    if (hosts.isEmpty()) {
      return null;
    }
    String host = hosts.get(0);
    try {
      URI uri = new URI("http://" + host + "/");
      if (uri.getHost() != null && uri.getRawUserInfo() == null && uri.getPort() <= 65535
          && uri.getRawPath().equals("/") && uri.getRawQuery() == null) {
        return null;
      }
    } catch (URISyntaxException e) {
      // as any other Host that is not host[:port]
    }
    return "the Host header must be host[:port], got \"" + printable(host) + "\"";
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
      out.append(c < 0x20 || c > 0x7e || c == '`' ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    return out.toString();
  }
}
