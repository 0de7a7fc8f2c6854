package dev.streamline.service.api;

import dev.streamline.sampler.SamplerCatalog;
import dev.streamline.sampler.SamplerSpec;
import dev.streamline.service.registry.ModelInfo;
import dev.streamline.service.registry.ModelRegistry;
import dev.streamline.service.registry.ServedModel;
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

  /** The newest version of each model, with the versions served. */
  @GetMapping("/v1/models")
  public ModelList models() {
    return new ModelList(registry.newest().stream().map(this::described).toList());
  }

  /** One model: the newest version, or the one asked for. */
  @GetMapping({"/v1/models/{id}", "/v1/models/{id}/versions/{version}"})
  public ModelInfo model(@PathVariable String id,
      @PathVariable(required = false) String version) {
    return registry.find(id, version).map(this::described).orElseThrow(() ->
        new ApiException(HttpStatus.NOT_FOUND, registry.unknown(id, version)));
  }

  private ModelInfo described(ServedModel model) {
    return model.info().withVersions(registry.versions(model.info().id()));
  }

  @GetMapping("/v1/samplers")
  public SamplerList samplers() {
    return new SamplerList(SamplerCatalog.specs());
  }
}
