package dev.streamline.loadtest;

import dev.streamline.models.cli.OutputPath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The sweep's output directory, written all or nothing: the files go to a staging directory first
 * and are moved into place once every one of them is complete, so that a sweep that fails or is
 * stopped while writing leaves no half-written CSV, chart or report, nor a new empty directory.
 */
final class OutputDirectory {

  /** In the staging directory's name, for whoever finds one that a killed sweep left. */
  static final String STAGING = ".sweep-staging-";

  /** Writes the files into the directory it is given. */
  @FunctionalInterface
  interface Writer {
    void write(Path directory) throws IOException;
  }

  private OutputDirectory() {}

  /**
   * Why {@code out} cannot take the files named, or null if it can; asked before the sweep, which
   * takes minutes, rather than when its results are ready.
   */
  static String problem(Path out, List<String> names) {
    Path target = out.toAbsolutePath().normalize();
    if (Files.exists(target)) {
      if (!Files.isDirectory(target)) {
        return "--out " + out + " exists and is not a directory";
      }
      if (!Files.isWritable(target)) {
        return "--out " + out + " is not writable";
      }
      for (String name : names) {
        if (Files.isDirectory(target.resolve(name))) {
          return "--out " + out + " holds a directory " + name + ", where a file of that name goes";
        }
      }
      return null;
    }
    return OutputPath.whyNotCreatable(out);
  }

  /**
   * Runs the writer on a staging directory and moves what it wrote to {@code out}: the whole
   * directory where {@code out} is new, file by file (each replacing its namesake) where it
   * exists. A writer that fails leaves {@code out} as it was.
   */
  static void write(Path out, Writer writer) throws IOException {
    Path target = out.toAbsolutePath().normalize();
    boolean exists = Files.isDirectory(target);
    // Inside an existing directory, or beside a new one: either way on the same file system, so
    // that the moves are renames.
    Path staging;
    if (exists) {
      staging = Files.createTempDirectory(target, STAGING);
    } else {
      Files.createDirectories(target.getParent());
      staging = Files.createTempDirectory(target.getParent(),
          STAGING + target.getFileName() + "-");
    }
    // SIGTERM and Ctrl-C skip the finally below; only SIGKILL or a crash can still leave it.
    Thread cleanup = new Thread(() -> {
      try {
        deleteTree(staging);
      } catch (IOException | UncheckedIOException e) {
        // Best effort: the JVM is going down, and the writer may still be adding files.
      }
    });
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      if (Files.getFileStore(staging).supportsFileAttributeView("posix")) {
        // Temporary directories are private; a report is for whoever reads the directory.
        Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      writer.write(staging);
      if (exists) {
        try (Stream<Path> files = Files.list(staging)) {
          for (Path file : files.toList()) {
            move(file, target.resolve(file.getFileName()));
          }
        }
      } else {
        move(staging, target);
      }
    } finally {
      try {
        deleteTree(staging);
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
          // Shutting down already: the hook runs, and finds nothing left to delete.
        }
      }
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
