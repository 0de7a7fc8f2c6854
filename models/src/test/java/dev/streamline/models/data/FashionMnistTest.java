package dev.streamline.models.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {

  @TempDir Path temp;

  @Test
  void loadsTheTestSplitScaledToMinusOneToOne() throws IOException {
    FashionMnist.Split split = new FashionMnist(FashionMnistSubset.directory()).test();

    assertThat(split.count()).isEqualTo(FashionMnistSubset.COUNT);
    assertThat(split.pixelsPerImage()).isEqualTo(784);
    assertThat(split.pixels()).hasSize(FashionMnistSubset.COUNT * 784);
    float min = Float.POSITIVE_INFINITY;
    float max = Float.NEGATIVE_INFINITY;
    for (float p : split.pixels()) {
      min = Math.min(min, p);
      max = Math.max(max, p);
    }
    assertThat(min).isEqualTo(-1f);
    assertThat(max).isEqualTo(1f);
    // Raw 110 at the centre of image 0.
    assertThat(split.pixels()[14 * 28 + 14]).isCloseTo(110 / 127.5f - 1, within(1e-6f));
    assertThat(split.labels()).hasSize(FashionMnistSubset.COUNT);
    assertThat(split.className(0)).isEqualTo("Ankle boot");
    assertThat(split.className(1)).isEqualTo("Pullover");
  }

  @Test
  void hasTheTenClassNames() {
    assertThat(FashionMnist.CLASS_NAMES).hasSize(10).startsWith("T-shirt/top", "Trouser")
        .endsWith("Ankle boot");
    assertThat(FashionMnist.atDefaultLocation().directory())
        .isEqualTo(Path.of("/usr/share/datasets/fashion-mnist"));
  }

  @Test
  void loadsUncompressedFiles() throws IOException {
    Files.write(temp.resolve("t10k-images-idx3-ubyte"),
        FashionMnistSubset.decompressed(FashionMnistSubset.IMAGES));
    Files.write(temp.resolve("t10k-labels-idx1-ubyte"),
        FashionMnistSubset.decompressed(FashionMnistSubset.LABELS));

    FashionMnist.Split split = new FashionMnist(temp).test();

    assertThat(split.pixels())
        .isEqualTo(new FashionMnist(FashionMnistSubset.directory()).test().pixels());
  }

  @Test
  void missingSplitNamesTheFileAndHowToGetIt() {
    Path directory = FashionMnistSubset.directory();

    assertThatThrownBy(() -> new FashionMnist(directory).train())
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageStartingWith(directory.resolve("train-images-idx3-ubyte.gz") + ": no such file")
        .hasMessageContaining(directory.resolve("train-images-idx3-ubyte").toString())
        .hasMessageContaining("dataset-fashion-mnist");
  }

  @Test
  void labelCountMustMatchImageCount() throws IOException {
    Files.write(temp.resolve("t10k-images-idx3-ubyte"),
        FashionMnistSubset.decompressed(FashionMnistSubset.IMAGES));
    byte[] labels = FashionMnistSubset.decompressed(FashionMnistSubset.LABELS);
    labels[7] = (byte) 199;
    Path labelFile = Files.write(temp.resolve("t10k-labels-idx1-ubyte"),
        Arrays.copyOf(labels, labels.length - 1));

    assertThatThrownBy(() -> new FashionMnist(temp).test())
        .hasMessage(labelFile + ": holds 199 labels but " + temp.resolve("t10k-images-idx3-ubyte")
            + " holds 200 images");
  }

  @Test
  void imagesOfAnotherSizeAreRejected() throws IOException {
    Path imageFile = Files.write(temp.resolve("t10k-images-idx3-ubyte"), images(3, 8, 8));
    Files.write(temp.resolve("t10k-labels-idx1-ubyte"), labels(3));

    assertThatThrownBy(() -> new FashionMnist(temp).test())
        .isInstanceOf(IOException.class)
        .hasMessage(imageFile + ": holds 8x8 images; Fashion-MNIST's are 28x28");
  }

  @Test
  void aSplitWithoutImagesIsRejected() throws IOException {
    Path imageFile = Files.write(temp.resolve("train-images-idx3-ubyte"), images(0, 28, 28));
    Files.write(temp.resolve("train-labels-idx1-ubyte"), labels(0));

    assertThatThrownBy(() -> new FashionMnist(temp).train())
        .isInstanceOf(IOException.class)
        .hasMessage(imageFile + ": holds no images");
  }

  /** A valid IDX file of {@code count} blank images. */
  private static byte[] images(int count, int rows, int columns) {
    ByteBuffer buffer = ByteBuffer.allocate(16 + count * rows * columns);
    return buffer.putInt(0x0803).putInt(count).putInt(rows).putInt(columns).array();
  }

  private static byte[] labels(int count) {
    return ByteBuffer.allocate(8 + count).putInt(0x0801).putInt(count).array();
  }

  @Test
  void labelsOutsideTheTenClassesAreRejected() throws IOException {
    Files.write(temp.resolve("t10k-images-idx3-ubyte"),
        FashionMnistSubset.decompressed(FashionMnistSubset.IMAGES));
    byte[] labels = FashionMnistSubset.decompressed(FashionMnistSubset.LABELS);
    labels[8 + 5] = 10;
    Path labelFile = Files.write(temp.resolve("t10k-labels-idx1-ubyte"), labels);

    assertThatThrownBy(() -> new FashionMnist(temp).test())
        .hasMessage(labelFile + ": label 5 is 10, outside the 10 Fashion-MNIST classes");
  }
}
