package dev.streamline.service.api;

import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.accept.HeaderContentTypeResolver;
import org.springframework.web.reactive.accept.RequestedContentTypeResolverBuilder;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.server.NotAcceptableStatusException;

/**
 * Reads an Accept header that is no list of media types ({@code garbage}, {@code ;;;}) as asking
 * for a problem only. Such a request is still turned down with a 406 ({@link ProblemHandler}),
 * but Spring writes every answer after negotiating it against the Accept header, and with an
 * unreadable one it sent the 406 without a body.
 */
@Component
public class UnreadableAccept implements WebFluxConfigurer {

  @Override
  public void configureContentTypeResolver(RequestedContentTypeResolverBuilder builder) {
    HeaderContentTypeResolver header = new HeaderContentTypeResolver();
    builder.resolver(exchange -> {
      try {
        return header.resolveMediaTypes(exchange);
      } catch (NotAcceptableStatusException e) {
        return List.of(MediaType.APPLICATION_PROBLEM_JSON);
      }
    });
  }
}
