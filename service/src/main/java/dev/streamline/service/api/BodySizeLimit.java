package dev.streamline.service.api;

import dev.streamline.service.config.StreamlineProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.ObjectMapper;

/**
 * Turns down bodies over {@code streamline.limits.max-body-size} with a 413 problem: at once when
 * the Content-Length says so, or as soon as a chunked body passes the limit.
 */
@Component
public class BodySizeLimit extends OncePerRequestFilter {

  private final long limit;
  private final ObjectMapper json;

  public BodySizeLimit(StreamlineProperties properties, ObjectMapper json) {
    this.limit = properties.limits().maxBodySize().toBytes();
    this.json = json;
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
      FilterChain chain) throws ServletException, IOException {
    if (request.getContentLengthLong() > limit) {
      // The body stays unread, so the connection closes after the answer; a Content-Length
      // lets the client read the whole problem before that.
      ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONTENT_TOO_LARGE,
          tooLarge().getMessage());
      problem.setInstance(URI.create(request.getRequestURI()));
      byte[] body = json.writeValueAsBytes(problem);
      response.setStatus(HttpStatus.CONTENT_TOO_LARGE.value());
      response.setHeader(HttpHeaders.CONNECTION, "close");
      response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
      response.setContentLength(body.length);
      response.getOutputStream().write(body);
      response.flushBuffer();
      return;
    }
    chain.doFilter(new Limited(request), response);
  }

  private ApiException tooLarge() {
    return new ApiException(HttpStatus.CONTENT_TOO_LARGE, "the request body is over the limit of "
        + limit + " bytes (streamline.limits.max-body-size)");
  }

  /** A request whose body stream fails once more than the limit has been read. */
  private final class Limited extends HttpServletRequestWrapper {
    private ServletInputStream stream;

    Limited(HttpServletRequest request) {
      super(request);
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
      if (stream == null) {
        ServletInputStream in = super.getInputStream();
        stream = new ServletInputStream() {
          private long read;

          @Override
          public int read() throws IOException {
            int b = in.read();
            count(b < 0 ? 0 : 1);
            return b;
          }

          @Override
          public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            count(Math.max(n, 0));
            return n;
          }

          private void count(int n) {
            read += n;
            if (read > limit) {
              throw tooLarge();
            }
          }

          @Override public boolean isFinished() { return in.isFinished(); }
          @Override public boolean isReady() { return in.isReady(); }
          @Override public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
          }
        };
      }
      return stream;
    }
  }
}
