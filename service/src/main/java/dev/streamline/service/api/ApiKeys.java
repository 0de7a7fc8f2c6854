package dev.streamline.service.api;

import dev.streamline.service.config.StreamlineProperties;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Set;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import tools.jackson.databind.ObjectMapper;

/**
 * The optional API-key check ({@code streamline.auth}): a request needs {@code Authorization:
 * Bearer KEY} or {@code X-API-Key: KEY} with one of the keys of the tokens file, else it gets a
 * 401 problem with {@code WWW-Authenticate} (RFC 6750). Health, info and prometheus stay open,
 * for probes and scrapers. Keys are compared by their SHA-256 digests with
 * {@link MessageDigest#isEqual}, against every key, so the time taken says nothing of a key's
 * length or of how much of it matched. It also names the client that fair admission counts.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 2)
public class ApiKeys implements WebFilter {

  public static final String API_KEY_HEADER = "X-API-Key";
  private static final String BEARER = "Bearer ";
  private static final Set<String> OPEN = Set.of("/actuator/health", "/actuator/info",
      "/actuator/prometheus");
  private static final String CLIENT = ApiKeys.class.getName() + ".client";

  private final ObjectMapper json;
  /** The keys' digests; null when auth is off. */
  private final List<byte[]> digests;

  public ApiKeys(StreamlineProperties properties, ObjectMapper json) {
    this.json = json;
    StreamlineProperties.Auth auth = properties.auth();
    this.digests = auth.enabled() ? read(auth.tokensFile()) : null;
  }

  /** The keys of the file, checked at start-up: with auth on, no key would let nobody in. */
  private static List<byte[]> read(Path file) {
    if (file == null) {
      throw new IllegalStateException("streamline.auth.enabled is true but"
          + " streamline.auth.tokens-file names no file of API keys");
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("streamline.auth.tokens-file " + file
          + " cannot be read: " + e, e);
    }
    List<byte[]> keys = lines.stream().map(String::strip)
        .filter(line -> !line.isEmpty() && !line.startsWith("#")).map(ApiKeys::digest).toList();
    if (keys.isEmpty()) {
      throw new IllegalStateException("streamline.auth.tokens-file " + file
          + " holds no API key (one per line; blank lines and # comments are skipped)");
    }
    return keys;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    String path = exchange.getRequest().getPath().pathWithinApplication().value();
    if (digests == null || OPEN.contains(path) || path.startsWith("/actuator/health/")) {
      return chain.filter(exchange);
    }
    String given = given(exchange.getRequest().getHeaders());
    int key = given == null ? -1 : match(given);
    if (key >= 0) {
      exchange.getAttributes().put(CLIENT, "key-" + (key + 1));
      return chain.filter(exchange);
    }
    HttpHeaders headers = new HttpHeaders();
    headers.set(HttpHeaders.WWW_AUTHENTICATE, given == null ? "Bearer realm=\"streamline\""
        : "Bearer realm=\"streamline\", error=\"invalid_token\"");
    RequestLog.outcome(exchange, "unauthorized");
    return Problems.write(exchange, json, HttpStatus.UNAUTHORIZED, given == null
        ? "this endpoint needs an API key: send Authorization: Bearer <key> or " + API_KEY_HEADER
            + ": <key>"
        : "the API key is not valid", headers);
  }

  /** The key a request carries, or null for none (a blank one is none). */
  private static String given(HttpHeaders headers) {
    String authorization = headers.getFirst(HttpHeaders.AUTHORIZATION);
    String key = authorization != null
        && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
        ? authorization.substring(BEARER.length()) : headers.getFirst(API_KEY_HEADER);
    return key == null || key.isBlank() ? null : key.strip();
  }

  /** The index of the key given, or -1; every key is compared, whichever matches. */
  private int match(String given) {
    byte[] digest = digest(given);
    int found = -1;
    for (int i = 0; i < digests.size(); i++) {
      if (MessageDigest.isEqual(digests.get(i), digest) && found < 0) {
        found = i;
      }
    }
    return found;
  }

  private static byte[] digest(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /**
   * Whom fair admission counts a request against: its API key ("key-N", the key's place in the
   * file) when auth is on, else its client's address (the forwarded one where
   * {@code server.forward-headers-strategy} says to trust a proxy's headers).
   */
  static String client(ServerWebExchange exchange) {
    String key = exchange.getAttribute(CLIENT);
    if (key != null) {
      return key;
    }
    InetSocketAddress address = exchange.getRequest().getRemoteAddress();
    return address == null ? "unknown" : address.getAddress() == null
        ? address.getHostString() : address.getAddress().getHostAddress();
  }
}
