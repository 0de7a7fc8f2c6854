package dev.streamline.service.http;

import org.springframework.core.codec.DecodingException;

/**
 * A request body whose framing the HTTP codec could not read, as an error of its reading: Spring
 * answers a decoding error with a 400 (see {@link ProtocolErrors}).
 */
public final class MalformedBody extends DecodingException {

  MalformedBody(String detail) {
    super(detail);
  }
}
