package dev.streamline.service.api;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import javax.imageio.ImageIO;

/**
 * Image samples [n, C, H, W] with values in [-1, 1] (C = 1 or 3) as one PNG grid, about square,
 * with a 2-pixel gap in mid-gray: black would vanish against black backgrounds (Fashion-MNIST's),
 * white against white ones.
 */
final class PngGrid {

  private static final int GAP = 2;
  private static final int SEPARATOR = 128;

  private PngGrid() {}

  static byte[] encode(float[] samples, int n, int channels, int height, int width) {
    int columns = (int) Math.ceil(Math.sqrt(n));
    int rows = (n + columns - 1) / columns;
    BufferedImage image = new BufferedImage(columns * (width + GAP) + GAP,
        rows * (height + GAP) + GAP,
        channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
    // Through the raster: drawing on a gray image would convert the colour to linear gray.
    int[] separator = new int[image.getWidth() * image.getHeight()];
    Arrays.fill(separator, SEPARATOR);
    for (int band = 0; band < image.getRaster().getNumBands(); band++) {
      image.getRaster().setSamples(0, 0, image.getWidth(), image.getHeight(), band, separator);
    }
    int plane = height * width;
    for (int i = 0; i < n; i++) {
      int left = GAP + (i % columns) * (width + GAP);
      int top = GAP + (i / columns) * (height + GAP);
      int base = i * channels * plane;
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          int pixel = y * width + x;
          if (channels == 1) {
            // Through the raster: setRGB on a gray image would apply a colour-space conversion.
            image.getRaster().setSample(left + x, top + y, 0, level(samples[base + pixel]));
          } else {
            image.setRGB(left + x, top + y, level(samples[base + pixel]) << 16
                | level(samples[base + plane + pixel]) << 8
                | level(samples[base + 2 * plane + pixel]));
          }
        }
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static int level(float value) {
    return Math.round(Math.max(0f, Math.min(1f, (value + 1f) / 2f)) * 255f);
  }
}
