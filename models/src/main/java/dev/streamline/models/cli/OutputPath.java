package dev.streamline.models.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Checks on a tool's {@code --out} made before its long work, rather than when it writes. */
public final class OutputPath {

  private OutputPath() {}

  /**
   * Why a directory cannot be created at {@code out} (which does not exist), or null if it can:
   * its nearest existing ancestor must be a writable directory.
   */
  public static String whyNotCreatable(Path out) {
    Path ancestor = out.toAbsolutePath().normalize().getParent();
    while (ancestor != null && !Files.exists(ancestor)) {
      ancestor = ancestor.getParent();
    }
    if (ancestor != null && !Files.isDirectory(ancestor)) {
      return "--out " + out + " cannot be created: " + ancestor + " is a file";
    }
    if (ancestor != null && !Files.isWritable(ancestor)) {
      return "--out " + out + " cannot be created: " + ancestor + " is not writable";
    }
    return null;
  }
}
