package dev.streamline.service.api;

import dev.streamline.sampler.SamplerOption;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.type.TypeFactory;

/**
 * Reads a request's {@code options} object by the {@link SamplerOption} declarations: each value
 * with Jackson's own reader for its type, so a wrong type, an unknown name or a non-object fails
 * as any other field of the body does (and {@link ProblemHandler} words it the same way). A null
 * value is an option not given.
 */
final class OptionsReader extends ValueDeserializer<SampleRequest.Options> {

  @Override
  public SampleRequest.Options deserialize(JsonParser parser, DeserializationContext context) {
    if (!parser.isExpectedStartObjectToken()) {
      return (SampleRequest.Options) context.handleUnexpectedToken(SampleRequest.Options.class,
          parser);
    }
    Map<SamplerOption, Object> given = new EnumMap<>(SamplerOption.class);
    for (String name = parser.nextName(); name != null; name = parser.nextName()) {
      parser.nextToken();
      SamplerOption option = SamplerOption.byId(name).orElse(null);
      if (option == null) {
        context.handleUnknownProperty(parser, this, SampleRequest.Options.class, name);
        continue;
      }
      Object value;
      try {
        value = context.readValue(parser, javaType(context, option.type()));
      } catch (JacksonException e) {
        throw DatabindException.wrapWithPath(e, SampleRequest.Options.class, name);
      }
      if (value != null) {
        given.put(option, value);
      }
    }
    return new SampleRequest.Options(given);
  }

  @Override
  public Collection<Object> getKnownPropertyNames() {
    return Arrays.stream(SamplerOption.values()).<Object>map(SamplerOption::id).toList();
  }

  private static JavaType javaType(DeserializationContext context, SamplerOption.Type type) {
    TypeFactory types = context.getTypeFactory();
    return switch (type) {
      case NUMBER -> types.constructType(Double.class);
      case INTEGER -> types.constructType(Integer.class);
      case FLAG -> types.constructType(Boolean.class);
      case KIND, CHOICE -> types.constructType(String.class);
      case NUMBERS -> types.constructCollectionType(List.class, Double.class);
    };
  }
}
