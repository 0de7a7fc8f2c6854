package dev.streamline.service.registry;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Readiness of the models: DOWN while they load and warm up, then UP, naming any that failed
 * (they are not served, the others are) by id and reason, never by directory, and any whose
 * new files failed to load (they serve their previous ones).
 */
@Component("models")
public class ModelsHealthIndicator implements HealthIndicator {

  private final ModelRegistry registry;

  public ModelsHealthIndicator(ModelRegistry registry) {
    this.registry = registry;
  }

  @Override
  public Health health() {
    Health.Builder health = registry.isLoaded() ? Health.up() : Health.down();
    health.withDetail("ready", registry.all().stream().map(m -> m.info().id()).toList());
    if (!registry.isLoaded()) {
      health.withDetail("loading", true);
    }
    if (!registry.failures().isEmpty()) {
      health.withDetail("failed", registry.failures());
    }
    if (!registry.anonymousFailures().isEmpty()) {
      health.withDetail("failedWithoutId", registry.anonymousFailures());
    }
    if (!registry.duplicates().isEmpty()) {
      health.withDetail("duplicates", registry.duplicates());
    }
    if (!registry.reloadFailures().isEmpty()) {
      health.withDetail("reloadFailed", registry.reloadFailures());
    }
    return health.build();
  }
}
