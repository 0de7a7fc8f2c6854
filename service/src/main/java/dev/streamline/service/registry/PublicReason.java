package dev.streamline.service.registry;

import java.io.File;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Why a model failed, as health and problem bodies show it: the message with every path cut to
 * its file name relative to the model's directory. Anyone who can reach the service reads these,
 * and where the server keeps its files is no business of theirs; the log keeps the whole message.
 */
final class PublicReason {

  /** The directories of an absolute path, up to its last name. */
  private static final Pattern DIRECTORIES = Pattern.compile("(?<![\\w.~-])/(?:[^/\\s'\"`]+/)+");

  private PublicReason() {}

  /**
   * @param directory the model's directory, whose own files keep their names within it, or null
   */
  static String of(Throwable e, Path directory) {
    String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (directory != null) {
      reason = reason.replace(directory.toAbsolutePath().normalize() + File.separator, "")
          .replace(directory + File.separator, "");
    }
    return DIRECTORIES.matcher(reason).replaceAll("");
  }
}
