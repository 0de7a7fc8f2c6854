package dev.streamline.models.data;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX files of MNIST and Fashion-MNIST: unsigned-byte image stacks ({@code idx3-ubyte})
 * and label vectors ({@code idx1-ubyte}), plain or gzipped.
 *
 * <p>Every problem is reported as an exception whose message starts with the file's path and says
 * what is wrong with it, because the usual failure is a half-downloaded or mislabelled file and the
 * message is all the user gets to see.
 */
public final class IdxReader {

  private static final int UNSIGNED_BYTE = 0x08;
  private static final int GZIP_MAGIC = 0x8b1f;

  private IdxReader() {}

  /**
   * An image stack: {@code count} images of {@code rows × columns} pixels, row-major, one unsigned
   * byte each (read with {@link #pixel}).
   */
  public record Images(int count, int rows, int columns, byte[] pixels) {

    public int pixelsPerImage() {
      return rows * columns;
    }

    /** The pixel's intensity, 0 (background) to 255. */
    public int pixel(int image, int row, int column) {
      return Byte.toUnsignedInt(pixels[(image * rows + row) * columns + column]);
    }
  }

  public static Images readImages(Path file) throws IOException {
    byte[] bytes = contents(file);
    int[] dims = header(file, bytes, 3, "images");
    long pixelsPerImage = (long) dims[1] * dims[2];
    long expected = dims[0] * pixelsPerImage;
    checkLength(file, bytes, 3, expected,
        dims[0] + " images of " + dims[1] + "x" + dims[2]);
    byte[] pixels = new byte[(int) expected];
    System.arraycopy(bytes, headerLength(3), pixels, 0, pixels.length);
    return new Images(dims[0], dims[1], dims[2], pixels);
  }

  /** The labels as unsigned values, 0 to 255. */
  public static int[] readLabels(Path file) throws IOException {
    byte[] bytes = contents(file);
    int count = header(file, bytes, 1, "labels")[0];
    checkLength(file, bytes, 1, count, count + " labels");
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      labels[i] = Byte.toUnsignedInt(bytes[headerLength(1) + i]);
    }
    return labels;
  }

  /** The file's bytes, decompressed if they are gzip data whatever the file is called. */
  private static byte[] contents(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such file");
    }
    byte[] raw = Files.readAllBytes(file);
    boolean gzipped = raw.length >= 2 && ((raw[0] & 0xff) | (raw[1] & 0xff) << 8) == GZIP_MAGIC;
    if (!gzipped) {
      return raw;
    }
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IOException(file + ": corrupt gzip data: " + e.getMessage(), e);
    }
  }

  /** Validates the magic number and returns the dimension sizes that follow it. */
  private static int[] header(Path file, byte[] bytes, int dimensions, String what)
      throws IOException {
    int headerLength = headerLength(dimensions);
    if (bytes.length < headerLength) {
      throw new IOException(file + ": truncated header: an IDX file of " + what + " starts with "
          + headerLength + " header bytes but the file holds only " + bytes.length);
    }
    int magic = readInt(bytes, 0);
    int expectedMagic = UNSIGNED_BYTE << 8 | dimensions;
    if (magic != expectedMagic) {
      throw new IOException(String.format(
          "%s: wrong magic number 0x%08x: expected 0x%08x (%s: unsigned bytes, %d dimension%s)",
          file, magic, expectedMagic, what, dimensions, dimensions == 1 ? "" : "s"));
    }
    int[] sizes = new int[dimensions];
    for (int d = 0; d < dimensions; d++) {
      sizes[d] = readInt(bytes, 4 + 4 * d);
      // The first dimension counts items and may be 0; an image side of 0 means a broken header.
      if (sizes[d] < 0 || (d > 0 && sizes[d] == 0)) {
        throw new IOException(file + ": invalid header: dimension " + d + " has size "
            + Integer.toUnsignedString(sizes[d]));
      }
    }
    return sizes;
  }

  private static void checkLength(Path file, byte[] bytes, int dimensions, long expected,
      String described) throws IOException {
    long actual = bytes.length - headerLength(dimensions);
    if (actual < expected) {
      throw new IOException(file + ": truncated: header says " + described + " (" + expected
          + " bytes) but only " + actual + " bytes follow");
    }
    if (actual > expected) {
      throw new IOException(file + ": " + (actual - expected) + " unexpected trailing bytes: header"
          + " says " + described + " (" + expected + " bytes) but " + actual + " bytes follow");
    }
  }

  private static int headerLength(int dimensions) {
    return 4 + 4 * dimensions;
  }

  private static int readInt(byte[] bytes, int offset) {
    return (bytes[offset] & 0xff) << 24 | (bytes[offset + 1] & 0xff) << 16
        | (bytes[offset + 2] & 0xff) << 8 | (bytes[offset + 3] & 0xff);
  }
}
