package dev.streamline.service.api;

import dev.streamline.sampler.SamplerOption;
import dev.streamline.sampler.TimeGrid;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import java.math.BigDecimal;
import java.util.Arrays;
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
    ObjectSchema options = new ObjectSchema();
    options.setDescription("Sampler knobs; each must be one the chosen sampler reads");
    options.setAdditionalProperties(false);
    for (SamplerOption option : SamplerOption.values()) {
      options.addProperty(option.id(), property(option));
    }
    api.getComponents().addSchemas(NAME, options);
  }

  private static Schema<?> property(SamplerOption option) {
    Schema<?> schema = option.type() == SamplerOption.Type.GRID
        ? new StringSchema()._enum(Arrays.stream(TimeGrid.Kind.values()).map(TimeGrid.Kind::id)
            .toList())
        : new Schema<>().type(option.type().json());
    SamplerOption.Range range = option.range();
    if (!Double.isNaN(range.minimum())) {
      schema.setMinimum(BigDecimal.valueOf(range.minimum()));
      schema.setExclusiveMinimum(range.exclusiveMinimum() ? true : null);
    }
    if (!Double.isNaN(range.maximum())) {
      schema.setMaximum(BigDecimal.valueOf(range.maximum()));
      schema.setExclusiveMaximum(true);
    }
    schema.setDescription(option.description() + " (read by " + option.readers().text() + ")");
    return schema;
  }
}
