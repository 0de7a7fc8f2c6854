package dev.streamline.models.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
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
