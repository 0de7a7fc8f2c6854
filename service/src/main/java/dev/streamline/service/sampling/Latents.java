package dev.streamline.service.sampling;

import dev.streamline.sampler.InvalidJobException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a JSON nested array of a request ({@code latents}, or the {@code samples} to encode or
 * score) into a flat row-major array.
 */
final class Latents {

  private Latents() {}

  static float[] flatten(List<?> latents, int n, List<Integer> sampleShape) {
    return flatten(latents, n, sampleShape, "latents");
  }

  /** @param field the request field it came as, for messages */
  static float[] flatten(List<?> values, int n, List<Integer> sampleShape, String field) {
    List<Integer> shape = new ArrayList<>();
    shape.add(n);
    shape.addAll(sampleShape);
    int size = shape.stream().reduce(1, (a, b) -> a * b);
    float[] out = new float[size];
    int[] filled = {0};
    fill(values, shape, 0, field, out, filled, field);
    return out;
  }

  private static void fill(Object node, List<Integer> shape, int depth, String path, float[] out,
      int[] filled, String field) {
    if (depth == shape.size()) {
      // Checked as the float32 the sampling starts from: 1e39 is a finite double.
      if (!(node instanceof Number number) || !Float.isFinite(number.floatValue())) {
        throw invalid(path + " must be a finite float32 number (within ±" + Float.MAX_VALUE
            + ")", shape, field);
      }
      out[filled[0]++] = number.floatValue();
      return;
    }
    if (!(node instanceof List<?> list) || list.size() != shape.get(depth)) {
      throw invalid(path + " must be an array of " + shape.get(depth), shape, field);
    }
    for (int i = 0; i < list.size(); i++) {
      fill(list.get(i), shape, depth + 1, path + "[" + i + "]", out, filled, field);
    }
  }

  private static InvalidJobException invalid(String problem, List<Integer> shape, String field) {
    return new InvalidJobException(
        problem + " (" + field + " must have the shape [n, ...model shape] = " + shape + ")");
  }
}
