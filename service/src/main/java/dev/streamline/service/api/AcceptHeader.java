package dev.streamline.service.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.accept.HeaderContentTypeResolver;
import org.springframework.web.reactive.accept.RequestedContentTypeResolverBuilder;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.server.NotAcceptableStatusException;

/**
 * How every answer, the actuator's included, reads the Accept header.
 *
 * <p>One that is no list of media types ({@code garbage}, {@code ;;;}) asks for a problem only.
 * Such a request is still turned down with a 406 ({@link ProblemHandler}), but Spring writes
 * every answer after negotiating it against the Accept header, and with an unreadable one it sent
 * the 406 without a body.
 *
 * <p>A charset on a JSON type is dropped: JSON is UTF-8 (RFC 8259 defines no charset parameter),
 * and Jackson's encoder, asked for {@code application/json;charset=utf-16}, matched the type but
 * not the charset, so the answer found no encoder and became a 500.
 */
@Component
public class AcceptHeader implements WebFluxConfigurer {

  @Override
  public void configureContentTypeResolver(RequestedContentTypeResolverBuilder builder) {
    HeaderContentTypeResolver header = new HeaderContentTypeResolver();
    builder.resolver(exchange -> {
      try {
        return header.resolveMediaTypes(exchange).stream().map(AcceptHeader::withoutJsonCharset)
            .toList();
      } catch (NotAcceptableStatusException e) {
        return List.of(MediaType.APPLICATION_PROBLEM_JSON);
      }
    });
  }

  private static MediaType withoutJsonCharset(MediaType type) {
    boolean json = type.getSubtype().equals("json") || type.getSubtype().endsWith("+json");
    if (!json || type.getParameter("charset") == null) {
      return type;
    }
    Map<String, String> parameters = new LinkedHashMap<>(type.getParameters());
    parameters.keySet().removeIf(name -> name.equalsIgnoreCase("charset"));
    return new MediaType(type.getType(), type.getSubtype(), parameters);
  }
}
