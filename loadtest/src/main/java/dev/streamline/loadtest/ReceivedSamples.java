package dev.streamline.loadtest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * The part of a {@code POST /v1/models/{id}/samples} answer the load test uses.
 *
 * @param nfe network evaluations the server reports for the request
 * @param count number of samples
 * @param shape per-sample shape, e.g. [2] or [1, 28, 28]
 * @param values the samples flattened row-major, or null when they were skipped
 */
public record ReceivedSamples(int nfe, int count, int[] shape, float[] values) {

  private static final JsonFactory JSON = new JsonFactory();

  /** Numbers per sample. */
  public int width() {
    return Arrays.stream(shape).reduce(1, Math::multiplyExact);
  }

  /** The samples as rows of doubles, [count][width]. */
  public double[][] rows() {
    int width = width();
    double[][] rows = new double[count][width];
    for (int i = 0; i < count; i++) {
      for (int k = 0; k < width; k++) {
        rows[i][k] = values[i * width + k];
      }
    }
    return rows;
  }

  /**
   * Parses the JSON body. Streaming, because an image answer holds ~800 numbers per sample and a
   * tree of boxed nodes would cost more than the request; samples that are not wanted are skipped
   * without being read into memory.
   */
  static ReceivedSamples parse(byte[] body, boolean keepSamples) throws IOException {
    Integer nfe = null;
    int[] shape = null;
    FloatList values = keepSamples ? new FloatList() : null;
    int count = -1;
    try (JsonParser parser = JSON.createParser(ObjectReadContext.empty(), body)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("the answer is not a JSON object");
      }
      while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
        String field = parser.currentName();
        JsonToken token = parser.nextToken();
        switch (field) {
          case "nfe" -> nfe = parser.getIntValue();
          case "shape" -> shape = readInts(parser);
          case "samples" -> {
            if (token != JsonToken.START_ARRAY) {
              throw new IOException("'samples' is not an array");
            }
            count = keepSamples ? readSamples(parser, values) : countAndSkip(parser);
          }
          default -> parser.skipChildren();
        }
      }
    }
    if (nfe == null || shape == null || count < 0) {
      throw new IOException("the answer lacks one of 'nfe', 'shape' and 'samples'");
    }
    ReceivedSamples received =
        new ReceivedSamples(nfe, count, shape, keepSamples ? values.toArray() : null);
    if (keepSamples && values.size() != (long) count * received.width()) {
      throw new IOException("the answer holds " + values.size() + " numbers for " + count
          + " samples of shape " + Arrays.toString(shape));
    }
    return received;
  }

  private static int[] readInts(JsonParser parser) {
    List<Integer> ints = new ArrayList<>();
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      ints.add(parser.getIntValue());
    }
    return ints.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Reads the outer array of samples, flattening each one; returns the number of samples. */
  private static int readSamples(JsonParser parser, FloatList values) throws IOException {
    int count = 0;
    JsonToken token;
    while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
      flatten(parser, token, values);
      count++;
    }
    return count;
  }

  private static void flatten(JsonParser parser, JsonToken token, FloatList values)
      throws IOException {
    if (token == JsonToken.START_ARRAY) {
      JsonToken inner;
      while ((inner = parser.nextToken()) != JsonToken.END_ARRAY) {
        flatten(parser, inner, values);
      }
    } else if (token.isNumeric()) {
      values.add(parser.getFloatValue());
    } else {
      // JSON has no NaN; a diverged sample would have to come as a string or null.
      throw new IOException("a sample holds " + token + " where a number belongs");
    }
  }

  private static int countAndSkip(JsonParser parser) {
    int count = 0;
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      parser.skipChildren();
      count++;
    }
    return count;
  }

  private static final class FloatList {
    private float[] data = new float[1024];
    private int size;

    void add(float value) {
      if (size == data.length) {
        data = Arrays.copyOf(data, 2 * size);
      }
      data[size++] = value;
    }

    int size() {
      return size;
    }

    float[] toArray() {
      return Arrays.copyOf(data, size);
    }
  }
}
