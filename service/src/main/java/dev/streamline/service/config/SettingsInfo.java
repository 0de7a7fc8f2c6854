package dev.streamline.service.config;

import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.stereotype.Component;

/** The settings that shape performance, under {@code streamline} in /actuator/info (load reports name them). */
@Component
public class SettingsInfo implements InfoContributor {

  private final StreamlineProperties properties;

  public SettingsInfo(StreamlineProperties properties) {
    this.properties = properties;
  }

  @Override
  public void contribute(Info.Builder builder) {
    builder.withDetail("streamline", java.util.Map.of(
        "device", properties.device(),
        "threads", properties.threads(),
        "batching", properties.batching(),
        "limits", java.util.Map.of(
            "maxSamples", properties.limits().maxSamples(),
            "maxSteps", properties.limits().maxSteps(),
            "queueCapacity", properties.limits().queueCapacity(),
            "requestTimeout", properties.limits().requestTimeout().toString())));
  }
}
