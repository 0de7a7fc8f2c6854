package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/** What every 4xx answer, from any layer, must be: an RFC 9457 problem a person can act on. */
final class Problems {

  /** A Java class, package or method in a detail (Jackson's messages name their target types). */
  private static final Pattern JAVA = Pattern.compile(
      "\\b(java|javax|jdk|sun|com|org|dev|tools|reactor|io|ai)\\.[a-z]\\w*"
          + "|Exception|\\bat [\\w.$]+\\(|\\w+\\.\\w+\\(\\)|JsonToken|`");

  private Problems() {}

  /**
   * An answer of this status, Content-Type (null: none) and body is a problem of its status with
   * a one-line detail that names no Java internals; {@code shown} describes it in a failure.
   */
  static void assertProblem(int status, String contentType, String body, String shown) {
    assertThat(contentType).as("Content-Type of %s", shown).isEqualTo("application/problem+json");
    JsonNode problem = Http.JSON.readTree(body);
    assertThat(problem.path("status").asInt(0)).as("status in %s", shown).isEqualTo(status);
    assertThat(problem.path("title").asString("")).as("title in %s", shown).isNotBlank();
    JsonNode detail = problem.get("detail");
    assertThat(detail).as("detail in %s", shown).isNotNull();
    assertThat(detail.asString()).as("detail in %s", shown).isNotBlank().doesNotContain("\n");
    assertThat(JAVA.matcher(detail.asString()).find())
        .as("Java names in the detail: %s", detail.asString()).isFalse();
  }
}
