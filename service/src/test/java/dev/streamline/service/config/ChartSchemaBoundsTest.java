package dev.streamline.service.config;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The chart's schema bounds each number under {@code config.streamline} as the service does: a
 * looser bound lets {@code helm install} through with a value the service refuses at start-up
 * (a crash loop), a tighter one refuses a value the service takes. The deploy module's chart test
 * checks keys, types and defaults; the bounds live in annotations only this module can read.
 */
class ChartSchemaBoundsTest {

  private static final Path SCHEMA = Path.of("../helm/streamline/values.schema.json");

  @Test
  void everyIntegerBoundOfTheServiceIsTheSchemasAndNoOther() throws Exception {
    JsonNode streamline = JsonMapper.builder().build().readTree(SCHEMA.toFile())
        .path("properties").path("config").path("properties").path("streamline")
        .path("properties");
    List<String> service = new ArrayList<>();
    for (RecordComponent group : StreamlineProperties.class.getRecordComponents()) {
      if (!group.getType().isRecord()) {
        continue;
      }
      for (RecordComponent setting : group.getType().getRecordComponents()) {
        // Constraints on a record component land on its accessor, not on the component.
        Min min = setting.getAccessor().getAnnotation(Min.class);
        Max max = setting.getAccessor().getAnnotation(Max.class);
        if (min == null && max == null) {
          continue;
        }
        String key = kebab(group.getName()) + "." + kebab(setting.getName());
        service.add(key);
        JsonNode schema = streamline.path(kebab(group.getName())).path("properties")
            .path(kebab(setting.getName()));
        assertThat(schema.isObject()).as(key + " in the schema").isTrue();
        assertThat(bound(schema, "minimum")).as(key + " minimum")
            .isEqualTo(min == null ? null : min.value());
        assertThat(bound(schema, "maximum")).as(key + " maximum")
            .isEqualTo(max == null ? null : max.value());
      }
    }
    Set<String> schemaBounded = new TreeSet<>();
    streamline.properties().forEach(group -> group.getValue().path("properties").properties()
        .forEach(setting -> {
          if (setting.getValue().has("minimum") || setting.getValue().has("maximum")) {
            schemaBounded.add(group.getKey() + "." + setting.getKey());
          }
        }));
    // max-body-size is a data size: the service's bound is an @AssertTrue on its bytes, which
    // the schema can state only for a bare number of bytes.
    assertThat(schemaBounded).containsExactlyInAnyOrderElementsOf(
        concat(service, "limits.max-body-size"));
    JsonNode body = streamline.path("limits").path("properties").path("max-body-size");
    assertThat(bound(body, "maximum")).isEqualTo((long) Integer.MAX_VALUE);
    assertThat(StreamlineProperties.Limits.class.getDeclaredMethod("isMaxBodySize")).isNotNull();
  }

  private static Long bound(JsonNode schema, String name) {
    return schema.has(name) ? schema.get(name).asLong() : null;
  }

  private static List<String> concat(List<String> keys, String key) {
    List<String> all = new ArrayList<>(keys);
    all.add(key);
    return all;
  }

  private static String kebab(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
  }
}
