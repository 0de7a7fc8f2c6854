package dev.streamline.models.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

  @TempDir Path temp;

  @Test
  void readsTheGzippedSubset() throws IOException {
    IdxReader.Images images =
        IdxReader.readImages(FashionMnistSubset.directory().resolve(FashionMnistSubset.IMAGES));
    int[] labels =
        IdxReader.readLabels(FashionMnistSubset.directory().resolve(FashionMnistSubset.LABELS));

    assertThat(images.count()).isEqualTo(FashionMnistSubset.COUNT);
    assertThat(images.rows()).isEqualTo(28);
    assertThat(images.columns()).isEqualTo(28);
    assertThat(images.pixels()).hasSize(FashionMnistSubset.COUNT * 28 * 28);
    // Image 0 is an ankle boot; its centre pixel and its corner, which is background.
    assertThat(images.pixel(0, 14, 14)).isEqualTo(110);
    assertThat(images.pixel(0, 0, 0)).isZero();

    assertThat(labels).hasSize(FashionMnistSubset.COUNT);
    assertThat(Arrays.stream(labels)).allSatisfy(label -> assertThat(label).isBetween(0, 9));
    assertThat(labels).startsWith(9, 2, 1, 1, 6, 1, 4, 6);
    int[] counts = new int[10];
    Arrays.stream(labels).forEach(label -> counts[label]++);
    assertThat(counts).containsExactly(FashionMnistSubset.CLASS_COUNTS);
  }

  @Test
  void readsUncompressedFilesToo() throws IOException {
    Path images = write("images", FashionMnistSubset.decompressed(FashionMnistSubset.IMAGES));
    Path labels = write("labels", FashionMnistSubset.decompressed(FashionMnistSubset.LABELS));

    assertThat(IdxReader.readImages(images).pixels()).isEqualTo(IdxReader.readImages(
        FashionMnistSubset.directory().resolve(FashionMnistSubset.IMAGES)).pixels());
    assertThat(IdxReader.readLabels(labels)).hasSize(FashionMnistSubset.COUNT).startsWith(9, 2);
  }

  @Test
  void missingFileIsNamed() {
    Path missing = temp.resolve("train-images-idx3-ubyte");

    assertThatThrownBy(() -> IdxReader.readImages(missing))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessage(missing + ": no such file");
  }

  @Test
  void labelsFileReadAsImagesHasTheWrongMagicNumber() throws IOException {
    Path labels = write("t10k-labels-idx1-ubyte",
        FashionMnistSubset.decompressed(FashionMnistSubset.LABELS));

    assertThatThrownBy(() -> IdxReader.readImages(labels))
        .isInstanceOf(IOException.class)
        .hasMessage(labels + ": wrong magic number 0x00000801: expected 0x00000803"
            + " (images: unsigned bytes, 3 dimensions)");
  }

  @Test
  void nonIdxFileHasTheWrongMagicNumber() throws IOException {
    Path text = write("labels.txt", "9,2,1,1,6,1,4,6\n".getBytes(StandardCharsets.US_ASCII));

    assertThatThrownBy(() -> IdxReader.readLabels(text))
        .hasMessageStartingWith(text + ": wrong magic number 0x392c322c: expected 0x00000801");
  }

  @Test
  void truncatedImagesReportWhatTheHeaderPromised() throws IOException {
    byte[] whole = FashionMnistSubset.decompressed(FashionMnistSubset.IMAGES);
    Path truncated = write("t10k-images-idx3-ubyte", Arrays.copyOf(whole, 16 + 1234));

    assertThatThrownBy(() -> IdxReader.readImages(truncated))
        .isInstanceOf(IOException.class)
        .hasMessage(truncated + ": truncated: header says 200 images of 28x28 (156800 bytes)"
            + " but only 1234 bytes follow");
  }

  @Test
  void truncatedLabelsAndTrailingBytesAreReported() throws IOException {
    byte[] whole = FashionMnistSubset.decompressed(FashionMnistSubset.LABELS);
    Path truncated = write("short", Arrays.copyOf(whole, whole.length - 1));
    Path padded = write("long", Arrays.copyOf(whole, whole.length + 3));

    assertThatThrownBy(() -> IdxReader.readLabels(truncated))
        .hasMessage(truncated + ": truncated: header says 200 labels (200 bytes) but only 199"
            + " bytes follow");
    assertThatThrownBy(() -> IdxReader.readLabels(padded))
        .hasMessage(padded + ": 3 unexpected trailing bytes: header says 200 labels (200 bytes)"
            + " but 203 bytes follow");
  }

  @Test
  void truncatedHeaderIsReported() throws IOException {
    Path stub = write("stub", new byte[] {0, 0, 8, 3, 0, 0});

    assertThatThrownBy(() -> IdxReader.readImages(stub))
        .hasMessage(stub + ": truncated header: an IDX file of images starts with 16 header bytes"
            + " but the file holds only 6");
  }

  @Test
  void zeroImageSideIsReported() throws IOException {
    Path flat = write("flat", new byte[] {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 0});

    assertThatThrownBy(() -> IdxReader.readImages(flat))
        .hasMessage(flat + ": invalid header: dimension 2 has size 0");
  }

  @Test
  void cutGzipStreamIsReportedAsCorrupt() throws IOException {
    byte[] gzipped = Files.readAllBytes(
        FashionMnistSubset.directory().resolve(FashionMnistSubset.IMAGES));
    Path cut = write("t10k-images-idx3-ubyte.gz", Arrays.copyOf(gzipped, gzipped.length / 2));

    assertThatThrownBy(() -> IdxReader.readImages(cut))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith(cut + ": corrupt gzip data: ");
  }

  private Path write(String name, byte[] bytes) throws IOException {
    return Files.write(temp.resolve(name), bytes);
  }
}
