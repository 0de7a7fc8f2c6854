package dev.streamline.service.config;

import java.util.LinkedHashMap;
import java.util.Map;
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
    builder.withDetail("streamline", Map.of(
        "device", properties.device(),
        "threads", properties.threads(),
        "batching", batching(),
        "limits", Map.of(
            "maxSamples", properties.limits().maxSamples(),
            "maxSteps", properties.limits().maxSteps(),
            "queueCapacity", properties.limits().queueCapacity(),
            "requestTimeout", properties.limits().requestTimeout().toString(),
            "maxCostSeconds", properties.limits().maxCostSeconds(),
            "slotsPerClient", properties.limits().slotsPerClient()),
        "auth", properties.auth().enabled()));
  }

  /** The batching settings, with the number of forward workers resolved for this machine. */
  private Map<String, Object> batching() {
    StreamlineProperties.Batching batching = properties.batching();
    var out = new LinkedHashMap<String, Object>();
    out.put("enabled", batching.enabled());
    out.put("maxBatchSize", batching.maxBatchSize());
    out.put("maxDelay", batching.maxDelay().toString());
    out.put("workers", properties.forwardWorkers());
    out.put("mergeWindow", batching.mergeWindow().toString());
    return out;
  }
}
