package dev.streamline.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The chart's {@code config.streamline} defaults (values.yaml) and its schema are hand copies of
 * the service's {@code StreamlineProperties}. This holds both to the configuration metadata the
 * service's build writes (spring-boot-configuration-processor, which reads the record's
 * {@code @DefaultValue}s), so a key, type or default changed on one side only fails the build
 * instead of being ignored by Spring or refused by Helm in a cluster.
 */
class StreamlinePropertiesChartTest {

  private static final Path METADATA = Chart.root()
      .resolve("service/target/classes/META-INF/spring-configuration-metadata.json");
  /** Keys the chart sets from other values (gpu.enabled, models.*, requestTimeoutSeconds, auth.*). */
  private static final Set<String> CHART_OWNED =
      Set.of("device", "model-dirs", "limits.request-timeout", "auth.enabled");
  /** Keys the chart sets only with a feature of its own on: the mounted Secret's file. */
  private static final Set<String> CHART_OWNED_WHEN_ON = Set.of("auth.tokens-file");
  /** The schema's type for each Java type of the service; a new type needs a decision here. */
  private static final Map<String, String> SCHEMA_TYPES = Map.of(
      "java.lang.Boolean", "{\"type\":\"boolean\"}",
      "java.lang.Integer", "{\"type\":\"integer\"}",
      "java.time.Duration", "{\"$ref\":\"#/definitions/duration\"}",
      "org.springframework.util.unit.DataSize", "{\"type\":[\"string\",\"integer\"]}");
  /** Spring's simple duration style; a bare number is milliseconds. */
  private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d+)(ns|us|ms|s|m|h|d)?");
  private static final Map<String, ChronoUnit> DURATION_UNITS = Map.of("ns", ChronoUnit.NANOS,
      "us", ChronoUnit.MICROS, "ms", ChronoUnit.MILLIS, "s", ChronoUnit.SECONDS,
      "m", ChronoUnit.MINUTES, "h", ChronoUnit.HOURS, "d", ChronoUnit.DAYS);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One {@code streamline.*} property as the service's metadata describes it. */
  record Property(String type, Object defaultValue) {}

  @Test
  void schemaHasEveryKeyOfTheServiceButTheChartsOwnWithItsType() throws IOException {
    Map<String, Property> service = serviceProperties();
    assertThat(service).as("the keys the chart sets itself").containsKeys(
        CHART_OWNED.toArray(String[]::new));
    JsonNode streamline = JSON.readTree(Chart.directory().resolve("values.schema.json").toFile())
        .at("/properties/config/properties/streamline");
    Map<String, JsonNode> schema = new TreeMap<>();
    schemaLeaves(streamline, "", schema);
    TreeSet<String> expected = new TreeSet<>(service.keySet());
    expected.removeAll(CHART_OWNED);
    expected.removeAll(CHART_OWNED_WHEN_ON);
    assertThat(schema.keySet()).as("config.streamline keys of values.schema.json")
        .containsExactlyInAnyOrderElementsOf(expected);
    schema.forEach((key, node) -> {
      String type = service.get(key).type();
      assertThat(SCHEMA_TYPES).as("schema type for %s (%s)", key, type).containsKey(type);
      JsonNode typeOnly = JSON.createObjectNode().setAll(
          node.has("$ref") ? Map.of("$ref", node.get("$ref")) : Map.of("type", node.get("type")));
      assertThat(typeOnly.toString()).as("schema type of %s (%s)", key, type)
          .isEqualTo(SCHEMA_TYPES.get(type));
    });
  }

  @Test
  void renderedConfigHasTheServicesKeysAndDefaults() {
    Map<String, Property> service = serviceProperties();
    // An extra-models claim makes the chart render every key it owns, model-dirs included.
    Map<String, Object> rendered = new TreeMap<>();
    flatten(HelmChartTest.nested(Chart.render(Map.of("models.existingClaim", "models"))
        .applicationYaml(), "streamline"), "", rendered);
    assertThat(rendered).containsKeys(CHART_OWNED.toArray(String[]::new));
    assertThat(service.keySet()).as("streamline keys of the service")
        .containsAll(rendered.keySet());
    // Deliberate: the chart adds its models mount to the service's empty list of model dirs.
    rendered.remove("model-dirs");
    rendered.forEach((key, value) -> {
      Property property = service.get(key);
      // The processor sees @DefaultValue only, not defaults a constructor fills in.
      assertThat(property.defaultValue()).as("default of %s in the service's metadata", key)
          .isNotNull();
      assertThat(comparable(property.type(), value)).as("%s: chart %s, service %s", key, value,
          property.defaultValue()).isEqualTo(comparable(property.type(), property.defaultValue()));
    });
  }

  @Test
  void schemaAcceptsTheServicesDefaults() {
    // Helm validates --set values as a user's, so the schema's bounds and patterns must admit
    // the defaults the service itself starts with, spelt as the service spells them.
    Map<String, Object> defaults = new LinkedHashMap<>();
    serviceProperties().forEach((key, property) -> {
      if (!CHART_OWNED.contains(key) && property.defaultValue() != null) {
        defaults.put("config.streamline." + key, property.defaultValue());
      }
    });
    assertThatCode(() -> Chart.render(defaults)).doesNotThrowAnyException();
  }

  /** The {@code streamline.*} properties of the service, by key under {@code streamline.}. */
  @SuppressWarnings("unchecked")
  private static Map<String, Property> serviceProperties() {
    assertThat(METADATA).as("the service's configuration metadata: build the service first"
        + " (./mvnw -B package -pl service -am -DskipTests)").isRegularFile();
    Map<String, Object> metadata;
    try {
      metadata = JSON.readValue(METADATA.toFile(), Map.class);
    } catch (IOException e) {
      throw new AssertionError("unreadable " + METADATA, e);
    }
    Map<String, Property> properties = new TreeMap<>();
    for (Map<String, Object> property
        : (Iterable<Map<String, Object>>) metadata.get("properties")) {
      String name = (String) property.get("name");
      if (name.startsWith("streamline.")) {
        properties.put(name.substring("streamline.".length()),
            new Property((String) property.get("type"), property.get("defaultValue")));
      }
    }
    return properties;
  }

  /** Leaf properties of a schema object, by dotted key; every object must refuse other keys. */
  private static void schemaLeaves(JsonNode object, String prefix, Map<String, JsonNode> leaves) {
    // Spring ignores a key it does not know; only the schema can name a misspelt one.
    assertThat(object.path("additionalProperties").asBoolean(true))
        .as("additionalProperties of config.streamline%s", prefix.isEmpty() ? "" : "." + prefix)
        .isFalse();
    object.get("properties").fields().forEachRemaining(field -> {
      String key = prefix + field.getKey();
      if (field.getValue().has("properties")) {
        schemaLeaves(field.getValue(), key + ".", leaves);
      } else {
        leaves.put(key, field.getValue());
      }
    });
  }

  @SuppressWarnings("unchecked")
  private static void flatten(Object node, String prefix, Map<String, Object> leaves) {
    if (node instanceof Map<?, ?> map) {
      ((Map<String, Object>) map).forEach((key, value) ->
          flatten(value, prefix + key + ".", leaves));
    } else {
      leaves.put(prefix.substring(0, prefix.length() - 1), node);
    }
  }

  /** A value as the service binds it, so that "10ms" and "PT0.01S" compare equal. */
  private static Object comparable(String type, Object value) {
    if (!"java.time.Duration".equals(type) || value == null) {
      return value;
    }
    String text = value.toString();
    Matcher simple = SIMPLE_DURATION.matcher(text);
    if (simple.matches()) {
      return Duration.of(Long.parseLong(simple.group(1)),
          DURATION_UNITS.get(simple.group(2) == null ? "ms" : simple.group(2)));
    }
    return Duration.parse(text);
  }
}
