package dev.streamline.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReceivedSamplesTest {

  private static final String IMAGES = """
      {"model":"m","sampler":"euler","steps":2,"nfe":2,"seed":7,"shape":[1,2,2],
       "samples":[[[[0.5,-1],[1,0.25]]],[[[2,3],[4,5]]]],"elapsedMs":3}
      """;

  @Test
  void nestedSamplesAreFlattenedRowMajor() throws IOException {
    ReceivedSamples received = ReceivedSamples.parse(bytes(IMAGES), true);
    assertThat(received.nfe()).isEqualTo(2);
    assertThat(received.count()).isEqualTo(2);
    assertThat(received.shape()).containsExactly(1, 2, 2);
    assertThat(received.width()).isEqualTo(4);
    assertThat(received.values()).containsExactly(0.5f, -1f, 1f, 0.25f, 2f, 3f, 4f, 5f);
    assertThat(received.rows()[1]).containsExactly(2, 3, 4, 5);
  }

  @Test
  void skippedSamplesAreCountedButNotKept() throws IOException {
    ReceivedSamples received = ReceivedSamples.parse(bytes(IMAGES), false);
    assertThat(received.count()).isEqualTo(2);
    assertThat(received.values()).isNull();
  }

  @Test
  void answersThatDoNotFitTheirShapeAreRejected() {
    String ragged = "{\"nfe\":1,\"shape\":[2],\"samples\":[[1,2],[3]]}";
    assertThatThrownBy(() -> ReceivedSamples.parse(bytes(ragged), true))
        .hasMessage("the answer holds 3 numbers for 2 samples of shape [2]");
    assertThatThrownBy(() -> ReceivedSamples.parse(bytes("{\"shape\":[2],\"samples\":[]}"), true))
        .hasMessage("the answer lacks one of 'nfe', 'shape' and 'samples'");
    assertThatThrownBy(() -> ReceivedSamples.parse(
        bytes("{\"nfe\":1,\"shape\":[1],\"samples\":[[null]]}"), true))
        .hasMessage("a sample holds VALUE_NULL where a number belongs");
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
