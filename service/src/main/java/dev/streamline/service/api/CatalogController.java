package dev.streamline.service.api;

import dev.streamline.sampler.SamplerCatalog;
import dev.streamline.sampler.SamplerSpec;
import dev.streamline.service.registry.ModelInfo;
import dev.streamline.service.registry.ModelRegistry;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/** What can be sampled: the served models and the samplers. */
@RestController
public class CatalogController {

  private final ModelRegistry registry;

  public CatalogController(ModelRegistry registry) {
    this.registry = registry;
  }

  public record ModelList(List<ModelInfo> models) {}

  public record SamplerList(List<SamplerSpec> samplers) {}

  @GetMapping("/v1/models")
  public ModelList models() {
    return new ModelList(registry.all().stream().map(m -> m.info()).toList());
  }

  @GetMapping("/v1/models/{id}")
  public ModelInfo model(@PathVariable String id) {
    return registry.find(id).map(m -> m.info()).orElseThrow(() ->
        new ApiException(HttpStatus.NOT_FOUND, "no model '" + id + "'; served: "
            + registry.all().stream().map(m -> m.info().id()).toList()));
  }

  @GetMapping("/v1/samplers")
  public SamplerList samplers() {
    return new SamplerList(SamplerCatalog.specs());
  }
}
