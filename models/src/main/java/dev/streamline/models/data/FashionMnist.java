package dev.streamline.models.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017) from a directory holding its four IDX files under
 * their original names, gzipped or not; by default where Debian's {@code dataset-fashion-mnist}
 * package installs them.
 *
 * <p>Pixels are scaled to [-1, 1] (0 ↦ -1, 255 ↦ 1), the range that the Gaussian noise of the
 * flow-matching and diffusion paths is matched to.
 */
public record FashionMnist(Path directory) {

  /** Where Debian's {@code dataset-fashion-mnist} puts the IDX files (a constant for CLI defaults). */
  public static final String DEFAULT_DIRECTORY_NAME = "/usr/share/datasets/fashion-mnist";

  public static final Path DEFAULT_DIRECTORY = Path.of(DEFAULT_DIRECTORY_NAME);

  /** Images are {@value} × {@value} pixels. */
  public static final int SIDE = 28;

  /** Class names, indexed by label. */
  public static final List<String> CLASS_NAMES = List.of(
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

  /**
   * One split: {@code count} images of {@code rows × columns} pixels, stored flat and row-major in
   * {@code pixels} (image {@code i} starts at {@code i · rows · columns}), so that the array can
   * become an NDArray of shape (count, 1, rows, columns) without copying element by element.
   */
  public record Split(int count, int rows, int columns, float[] pixels, int[] labels) {

    public int pixelsPerImage() {
      return rows * columns;
    }

    public String className(int image) {
      return CLASS_NAMES.get(labels[image]);
    }
  }

  public static FashionMnist atDefaultLocation() {
    return new FashionMnist(DEFAULT_DIRECTORY);
  }

  /** The 60,000 training images. */
  public Split train() throws IOException {
    return load("train");
  }

  /** The 10,000 test images. */
  public Split test() throws IOException {
    return load("t10k");
  }

  private Split load(String prefix) throws IOException {
    Path imageFile = locate(prefix + "-images-idx3-ubyte");
    Path labelFile = locate(prefix + "-labels-idx1-ubyte");
    IdxReader.Images images = IdxReader.readImages(imageFile);
    // A valid IDX file of other images (MNIST crops, an empty stub) would otherwise reach the
    // networks and fail there, with a message about matrix shapes or random bounds.
    if (images.rows() != SIDE || images.columns() != SIDE) {
      throw new IOException(imageFile + ": holds " + images.rows() + "x" + images.columns()
          + " images; Fashion-MNIST's are " + SIDE + "x" + SIDE);
    }
    if (images.count() == 0) {
      throw new IOException(imageFile + ": holds no images");
    }
    int[] labels = IdxReader.readLabels(labelFile);
    if (labels.length != images.count()) {
      throw new IOException(labelFile + ": holds " + labels.length + " labels but " + imageFile
          + " holds " + images.count() + " images");
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] >= CLASS_NAMES.size()) {
        throw new IOException(labelFile + ": label " + i + " is " + labels[i]
            + ", outside the " + CLASS_NAMES.size() + " Fashion-MNIST classes");
      }
    }
    byte[] bytes = images.pixels();
    float[] pixels = new float[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      pixels[i] = Byte.toUnsignedInt(bytes[i]) / 127.5f - 1f;
    }
    return new Split(images.count(), images.rows(), images.columns(), pixels, labels);
  }

  /** The file under its original gzipped name, or else decompressed. */
  private Path locate(String name) throws NoSuchFileException {
    Path gzipped = directory.resolve(name + ".gz");
    if (Files.isRegularFile(gzipped)) {
      return gzipped;
    }
    Path plain = directory.resolve(name);
    if (Files.isRegularFile(plain)) {
      return plain;
    }
    throw new NoSuchFileException(gzipped.toString(), null, "no such file, nor " + plain
        + " (on Debian, `apt-get install dataset-fashion-mnist` provides them in "
        + DEFAULT_DIRECTORY + ")");
  }
}
