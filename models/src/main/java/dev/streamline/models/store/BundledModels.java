package dev.streamline.models.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The pretrained models shipped inside the models jar, under {@code /models/<id>/}, listed one id
 * a line in {@code /models/bundled.txt}. A model directory is copied out of the jar before it is
 * loaded, since the store reads directories.
 */
public final class BundledModels {

  private static final String ROOT = "/models/";

  private BundledModels() {}

  public static List<String> ids() {
    try (InputStream in = resource("bundled.txt");
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      return reader.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
          .toList();
    } catch (IOException e) {
      throw new ModelStoreException(ROOT + "bundled.txt: cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * Copies a bundled model's files into {@code parent/<id>} and returns that directory.
   *
   * @throws ModelStoreException for an id that is not bundled
   */
  public static Path extract(String id, Path parent) {
    if (!ids().contains(id)) {
      throw new ModelStoreException("no bundled model '" + id + "'; bundled: " + ids());
    }
    Path directory = parent.resolve(id);
    try {
      Files.createDirectories(directory);
      try (InputStream in = resource(id + "/" + ModelStore.MANIFEST)) {
        Files.copy(in, directory.resolve(ModelStore.MANIFEST), StandardCopyOption.REPLACE_EXISTING);
      }
      String weights = ModelStore.readManifest(directory).architecture().weights();
      try (InputStream in = resource(id + "/" + weights)) {
        Files.copy(in, directory.resolve(weights), StandardCopyOption.REPLACE_EXISTING);
      }
      return directory;
    } catch (IOException e) {
      throw new ModelStoreException(directory + ": cannot be written: " + e.getMessage(), e);
    }
  }

  private static InputStream resource(String name) throws IOException {
    InputStream in = BundledModels.class.getResourceAsStream(ROOT + name);
    if (in == null) {
      throw new IOException(ROOT + name + " is not in the jar");
    }
    return in;
  }
}
