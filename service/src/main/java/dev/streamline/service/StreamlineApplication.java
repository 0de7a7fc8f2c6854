package dev.streamline.service;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class StreamlineApplication {

  public static void main(String[] args) {
    SpringApplication.run(StreamlineApplication.class, args);
  }

  static {
    // DJL must never reach the network: no model zoo, no usage tracking. Set before any DJL class
    // loads, whichever way the application is started (jar, tests, embedding modules).
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
  }
}
