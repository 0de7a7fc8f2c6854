package dev.streamline.loadtest;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The machine the load test runs on, for the report. */
record Machine(String cpu, int cores, long memoryBytes, String os, String jvm) {

  static Machine current() {
    long memory = ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean bean ? bean.getTotalMemorySize() : -1;
    return new Machine(cpuModel(), Runtime.getRuntime().availableProcessors(), memory,
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " ("
            + System.getProperty("os.arch") + ")",
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
  }

  String memory() {
    return memoryBytes < 0 ? "unknown"
        : String.format(Locale.ROOT, "%.1f GiB", memoryBytes / (double) (1L << 30));
  }

  /** The first "model name" of /proc/cpuinfo (Linux); the architecture elsewhere. */
  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or not readable: the architecture is what is left to say.
    }
    return System.getProperty("os.arch");
  }
}
