package dev.streamline.service.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import jakarta.validation.Constraint;
import jakarta.validation.Validation;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.lang.annotation.Annotation;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.validation.ValidationBindHandler;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.Validator;
import org.springframework.validation.beanvalidation.SpringValidatorAdapter;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The Helm chart's values.schema.json bounds {@code config.streamline} (and the values the chart
 * turns into {@code streamline.*} keys) by hand, apart from the constraints on
 * {@link StreamlineProperties}. Where the two part, Helm passes a value the service refuses at
 * start (a crash-looping install) or refuses one the service takes; so every bound of either side
 * must have its match on the other, short of the few listed as beyond the schema. It lives here,
 * not in deploy, because only this module's class path has the constraint annotations' types, and
 * reflection drops an annotation whose type it cannot load.
 */
class ChartSchemaBoundsTest {

  private static final Path SCHEMA = Path.of("../helm/streamline/values.schema.json");
  /** Keys the chart writes from a whole number of seconds elsewhere in its values. */
  private static final Map<String, String> CHART_SECONDS =
      Map.of("limits.request-timeout", "/properties/requestTimeoutSeconds");
  /** What each {@code @AssertTrue} method holds its property to; the service is probed at each. */
  private static final Map<String, List<Bound>> ASSERTIONS = Map.of("Limits.isMaxBodySize",
      List.of(new Bound("limits.max-body-size", ">=", DataSize.ofBytes(1)),
          new Bound("limits.max-body-size", "<=", DataSize.ofBytes(Integer.MAX_VALUE))));
  /** The disagreements the schema cannot avoid, and why. */
  private static final Map<String, String> UNEXPRESSED = withHttpTimeouts(Map.of(
      "only the service: device matches cpu|gpu",
      "the chart writes device from the boolean gpu.enabled, as cpu or gpu only",
      "the schema's pattern passes a string beyond: limits.max-body-size <= 2147483647B",
      "JSON Schema bounds numbers only, and a regex for byte counts in four units is unreadable",
      "only the service: batching.max-delay <= PT10S",
      "the waits share the duration definition, and draft-07 (the schema's) ignores a maximum"
          + " beside a $ref; the service's start still reports a wait over 10 s",
      "the schema's pattern passes a string beyond: batching.max-delay <= PT10S",
      "as the number form",
      "only the service: batching.merge-window <= PT10S", "as batching.max-delay",
      "the schema's pattern passes a string beyond: batching.merge-window <= PT10S",
      "as batching.max-delay",
      "only the service: model-poll-interval <= PT24H", "as batching.max-delay",
      "the schema's pattern passes a string beyond: model-poll-interval <= PT24H",
      "as batching.max-delay"));
  /** The http timeouts' bounds, which the duration definition cannot carry either. */
  private static Map<String, String> withHttpTimeouts(Map<String, String> known) {
    Map<String, String> all = new java.util.HashMap<>(known);
    Map<String, String> maxima =
        Map.of("header-timeout", "PT1H", "body-timeout", "PT1H", "idle-timeout", "PT24H");
    maxima.forEach((key, max) -> {
      String why = "as batching.max-delay: the timeouts share the duration definition";
      all.put("only the schema: http." + key + " >= PT0S", why);
      for (String bound : List.of(" >= PT0.001S", " <= " + max)) {
        all.put("only the service: http." + key + bound, why);
        all.put("the schema's pattern passes a string beyond: http." + key + bound, why);
      }
    });
    return Map.copyOf(all);
  }

  private static final Validator VALIDATOR =
      new SpringValidatorAdapter(Validation.buildDefaultValidatorFactory().getValidator());

  /** {@code key >= value}, {@code key <= value} or {@code key matches regex}. */
  record Bound(String key, String relation, Object value) {
    @Override
    public String toString() {
      return key + " " + relation + " " + value;
    }
  }

  @Test
  void schemaAndServiceBoundEveryKeyAlike() {
    Map<String, Field> fields = serviceFields(StreamlineProperties.class, "");
    JsonNode root = new ObjectMapper().readTree(SCHEMA.toFile());
    Map<String, JsonNode> leaves = schemaLeaves(root);
    assertThat(fields).as("the service's keys")
        .containsKeys(leaves.keySet().toArray(String[]::new));
    Set<Bound> service = serviceBounds(fields);
    Set<Bound> schema = schemaBounds(leaves, fields);

    Set<String> disagreements = new TreeSet<>();
    service.stream().filter(bound -> !schema.contains(bound))
        .forEach(bound -> disagreements.add("only the service: " + bound));
    schema.stream().filter(bound -> !service.contains(bound))
        .forEach(bound -> disagreements.add("only the schema: " + bound));
    // minimum and maximum hold the number form of a duration or size; its pattern, the string.
    for (Bound bound : service) {
      JsonNode leaf = leaves.get(bound.key());
      if (leaf != null && leaf.has("pattern") && !bound.relation().equals("matches")) {
        java.util.regex.Pattern regex =
            java.util.regex.Pattern.compile(leaf.get("pattern").asString());
        if (!regex.matcher(asString(bound.value())).find()) {
          disagreements.add("the schema's pattern refuses a string at: " + bound);
        }
        if (regex.matcher(asString(beyond(bound))).find()) {
          disagreements.add("the schema's pattern passes a string beyond: " + bound);
        }
      }
    }
    assertThat(disagreements).as("values.schema.json against StreamlineProperties; known: %s",
        UNEXPRESSED).containsExactlyInAnyOrderElementsOf(UNEXPRESSED.keySet());
  }

  @Test
  void theServiceTakesEachOfItsBoundsAndRefusesBeyond() {
    // Holds the reading of the annotations above, and ASSERTIONS, to what binding does.
    for (Bound bound : serviceBounds(serviceFields(StreamlineProperties.class, ""))) {
      if (!bound.relation().equals("matches")) {
        assertThat(serviceTakes(bound.key(), bound.value())).as("takes %s", bound).isTrue();
        assertThat(serviceTakes(bound.key(), beyond(bound))).as("refuses past %s", bound)
            .isFalse();
      }
    }
  }

  /** Each leaf component's field by its key under {@code streamline.}, nested records walked. */
  private static Map<String, Field> serviceFields(Class<?> record, String prefix) {
    Map<String, Field> fields = new TreeMap<>();
    for (RecordComponent component : record.getRecordComponents()) {
      String key = prefix + component.getName().replaceAll("([A-Z])", "-$1").toLowerCase();
      if (component.getType().isRecord()) {
        fields.putAll(serviceFields(component.getType(), key + "."));
      } else {
        try {
          fields.put(key, record.getDeclaredField(component.getName()));
        } catch (NoSuchFieldException e) {
          throw new AssertionError(e);
        }
      }
    }
    return fields;
  }

  private static Set<Bound> serviceBounds(Map<String, Field> fields) {
    Set<Bound> bounds = new HashSet<>();
    fields.forEach((key, field) -> {
      Map<String, Object> byRelation = new TreeMap<>();
      if (field.getType() == int.class) {
        // Binding refuses what an int cannot hold, as a bound would.
        byRelation.put(">=", (long) Integer.MIN_VALUE);
        byRelation.put("<=", (long) Integer.MAX_VALUE);
      }
      for (Annotation annotation : field.getAnnotations()) {
        if (annotation instanceof Min min) {
          byRelation.put(">=", min.value());
        } else if (annotation instanceof Max max) {
          byRelation.put("<=", max.value());
        } else if (annotation instanceof DurationMin least) {
          byRelation.put(">=", roundedForTheChart(key, duration(least.days(), least.hours(),
              least.minutes(), least.seconds(), least.millis(), least.nanos())
              .plusNanos(least.inclusive() ? 0 : 1)));
        } else if (annotation instanceof DurationMax most) {
          byRelation.put("<=", duration(most.days(), most.hours(), most.minutes(),
              most.seconds(), most.millis(), most.nanos()).minusNanos(most.inclusive() ? 0 : 1));
        } else if (annotation instanceof Pattern pattern) {
          byRelation.put("matches", pattern.regexp());
        } else if (!(annotation instanceof NotNull)) {
          // @NotNull needs no counterpart: @DefaultValue fills every one, and Helm drops a null.
          assertThat(isConstraint(annotation)).as("%s on %s: a constraint this test cannot read",
              annotation, key).isFalse();
        }
      }
      byRelation.forEach((relation, value) -> bounds.add(new Bound(key, relation, value)));
    });
    Set<Class<?>> records = fields.values().stream().map(Field::getDeclaringClass)
        .collect(Collectors.toSet());
    Set<String> assertions = new TreeSet<>();
    for (Class<?> record : records) {
      Set<String> accessors = Arrays.stream(record.getRecordComponents())
          .map(component -> component.getAccessor().getName()).collect(Collectors.toSet());
      for (Method method : record.getDeclaredMethods()) {
        if (!accessors.contains(method.getName())
            && Arrays.stream(method.getAnnotations())
                .anyMatch(ChartSchemaBoundsTest::isConstraint)) {
          assertions.add(record.getSimpleName() + "." + method.getName());
        }
      }
    }
    assertThat(assertions).as("constraint methods of the records, each in ASSERTIONS")
        .containsExactlyInAnyOrderElementsOf(ASSERTIONS.keySet());
    ASSERTIONS.values().forEach(bounds::addAll);
    return bounds;
  }

  private static Duration duration(long days, long hours, long minutes, long seconds,
      long millis, long nanos) {
    return Duration.ofDays(days).plusHours(hours).plusMinutes(minutes).plusSeconds(seconds)
        .plusMillis(millis).plusNanos(nanos);
  }

  /** The chart writes whole seconds, so the least it can write is the service's, rounded up. */
  private static Duration roundedForTheChart(String key, Duration least) {
    if (!CHART_SECONDS.containsKey(key)) {
      return least;
    }
    Duration seconds = Duration.ofSeconds(least.getSeconds());
    return seconds.equals(least) ? least : seconds.plusSeconds(1);
  }

  private static boolean isConstraint(Annotation annotation) {
    return annotation.annotationType().isAnnotationPresent(Constraint.class);
  }

  /** The schemas of config.streamline's leaves, and of the values the chart writes keys from. */
  private static Map<String, JsonNode> schemaLeaves(JsonNode root) {
    Map<String, JsonNode> leaves = new TreeMap<>();
    collectLeaves(root, root.at("/properties/config/properties/streamline"), "", leaves);
    CHART_SECONDS.forEach((key, pointer) -> leaves.put(key, root.at(pointer)));
    return leaves;
  }

  private static void collectLeaves(JsonNode root, JsonNode object, String prefix,
      Map<String, JsonNode> leaves) {
    object.get("properties").properties().forEach(property -> {
      JsonNode node = property.getValue();
      if (node.has("$ref")) {
        node = root.at(node.get("$ref").asString().substring(1));
      }
      if (node.has("properties")) {
        collectLeaves(root, node, prefix + property.getKey() + ".", leaves);
      } else {
        leaves.put(prefix + property.getKey(), node);
      }
    });
  }

  private static Set<Bound> schemaBounds(Map<String, JsonNode> leaves, Map<String, Field> fields) {
    Set<Bound> bounds = new HashSet<>();
    leaves.forEach((key, node) -> node.propertyNames().forEach(keyword -> {
      switch (keyword) {
        case "minimum" ->
            bounds.add(new Bound(key, ">=", asService(key, fields, node.get(keyword))));
        case "maximum" ->
            bounds.add(new Bound(key, "<=", asService(key, fields, node.get(keyword))));
        // pattern: checked against the service's bounds, as the form a string takes.
        case "type", "description", "pattern" -> { }
        default -> fail("%s of %s: a keyword this test cannot compare", keyword, key);
      }
    }));
    return bounds;
  }

  /** A schema number as the service reads it: a bare duration is milliseconds, a size bytes. */
  private static Object asService(String key, Map<String, Field> fields, JsonNode number) {
    long value = number.asLong();
    Class<?> type = fields.get(key).getType();
    if (CHART_SECONDS.containsKey(key)) {
      return Duration.ofSeconds(value);
    } else if (type == Duration.class) {
      return Duration.ofMillis(value);
    } else if (type == DataSize.class) {
      return DataSize.ofBytes(value);
    }
    return value;
  }

  /** The nearest value past a bound, in the finest unit its key is written in. */
  private static Object beyond(Bound bound) {
    int sign = bound.relation().equals(">=") ? -1 : 1;
    if (bound.value() instanceof Long number) {
      return number + sign;
    } else if (bound.value() instanceof DataSize size) {
      return DataSize.ofBytes(size.toBytes() + sign);
    }
    Duration unit = CHART_SECONDS.containsKey(bound.key()) ? Duration.ofSeconds(1)
        : Duration.ofNanos(1);
    return ((Duration) bound.value()).plus(unit.multipliedBy(sign));
  }

  /** A value as a user writes it in the schema's string form (DataSize prints as bytes). */
  private static String asString(Object value) {
    return value instanceof Duration duration ? duration.toNanos() + "ns" : value.toString();
  }

  /** Whether the service starts with {@code streamline.<key>} set, as Spring Boot binds it. */
  private static boolean serviceTakes(String key, Object value) {
    Binder binder = new Binder(
        new MapConfigurationPropertySource(Map.of("streamline." + key, value.toString())));
    try {
      binder.bindOrCreate("streamline", Bindable.of(StreamlineProperties.class),
          new ValidationBindHandler(VALIDATOR));
      return true;
    } catch (BindException e) {
      return false;
    }
  }
}
