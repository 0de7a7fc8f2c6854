package dev.streamline.service.api;

import dev.streamline.sampler.SamplerOption;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.media.JsonSchema;
import io.swagger.v3.oas.models.media.Schema;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.stereotype.Component;

/**
 * The OpenAPI schema of a request's {@code options}, from the {@link SamplerOption} declarations:
 * one property per option with its type, range, and the samplers that read it.
 */
@Component
class OptionsSchema implements OpenApiCustomizer {

  static final String NAME = "SamplerOptions";

  @Override
  public void customise(OpenAPI api) {
    Schema<Object> options = new JsonSchema().types(Set.of("object"));
    options.setDescription("Sampler knobs; each must be one the chosen sampler reads");
    options.setAdditionalProperties(false);
    for (SamplerOption option : SamplerOption.values()) {
      options.addProperty(option.id(), property(option));
    }
    api.getComponents().addSchemas(NAME, options);
  }

  /** In OpenAPI 3.1's terms (JSON Schema 2020-12), which springdoc writes. */
  private static Schema<Object> property(SamplerOption option) {
    Schema<Object> schema = new JsonSchema().types(Set.of(option.type().json()));
    if (option.type() == SamplerOption.Type.KIND) {
      schema.setEnum(option.kinds().stream().<Object>map(SamplerOption.Named::id).toList());
    }
    if (option.type() == SamplerOption.Type.NUMBERS) {
      schema.setItems(new JsonSchema().types(Set.of(SamplerOption.Type.NUMBER.json())));
    }
    if (option.type() == SamplerOption.Type.CHOICE) {
      schema.setEnum(List.copyOf(option.choices()));
    }
    SamplerOption.Range range = option.range();
    if (!Double.isNaN(range.minimum())) {
      BigDecimal minimum = BigDecimal.valueOf(range.minimum()).stripTrailingZeros();
      if (range.exclusiveMinimum()) {
        schema.setExclusiveMinimumValue(minimum);
      } else {
        schema.setMinimum(minimum);
      }
    }
    if (!Double.isNaN(range.maximum())) {
      BigDecimal maximum = BigDecimal.valueOf(range.maximum()).stripTrailingZeros();
      if (range.exclusiveMaximum()) {
        schema.setExclusiveMaximumValue(maximum);
      } else {
        schema.setMaximum(maximum);
      }
    }
    String taken = option.type() == SamplerOption.Type.CHOICE ? "; values " + option.domain() : "";
    schema.setDescription(option.description() + " (read by " + option.readers().text() + taken
        + ")");
    return schema;
  }
}
