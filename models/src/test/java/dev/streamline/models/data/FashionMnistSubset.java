package dev.streamline.models.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

/**
 * The test fixture: the first 200 images and labels of Fashion-MNIST's t10k split, as gzipped IDX
 * files. Rebuild it with {@code models/src/test/scripts/make-fashion-mnist-subset.sh}.
 */
final class FashionMnistSubset {

  static final int COUNT = 200;
  static final String IMAGES = "t10k-images-idx3-ubyte.gz";
  static final String LABELS = "t10k-labels-idx1-ubyte.gz";

  /** How many of the 200 images each class has, by label; computed from the files with Python. */
  static final int[] CLASS_COUNTS = {20, 27, 27, 17, 21, 16, 16, 20, 18, 18};

  private FashionMnistSubset() {}

  static Path directory() {
    try {
      return Path.of(Objects.requireNonNull(
          FashionMnistSubset.class.getResource("/fashion-mnist-subset")).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A fixture file's contents, decompressed. */
  static byte[] decompressed(String name) {
    try (InputStream in = new GZIPInputStream(
        FashionMnistSubset.class.getResourceAsStream("/fashion-mnist-subset/" + name))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
