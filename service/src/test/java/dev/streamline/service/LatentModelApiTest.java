package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A latent model served (flow-sd3-latent: SD3's flow network on latents [2], SD3's VAE scaling
 * and a linear decoder to [3, 4, 4] images, see the models module's
 * make-convention-fixtures.py): answers are decoded by default, latents on request, PNG always
 * decoded, and the decoder runs batched with its cost in the metrics.
 */
class LatentModelApiTest extends ServiceTest {

  private static final String SAMPLES = "/v1/models/flow-sd3-latent/samples";
  private static final double SCALING = 1.5305;
  private static final double SHIFT = 0.0609;

  /** The fixture's decoder in closed form: A (z / scaling_factor + shift_factor) + b. */
  private static double decoded(double z0, double z1, int j) {
    double u0 = z0 / SCALING + SHIFT;
    double u1 = z1 / SCALING + SHIFT;
    return 0.4 * Math.cos(0.3 * j) * u0 + 0.4 * Math.sin(0.7 * j) * u1 + 0.01 * (j - 24);
  }

  @Test
  void describesItsDecoder() {
    JsonNode model = http.getJson("/v1/models/flow-sd3-latent");
    assertThat(model.get("shape").toString()).isEqualTo("[2]");
    assertThat(Http.JSON.writeValueAsString(model.get("latent"))).isEqualTo(
        "{\"decodedShape\":[3,4,4],\"scaling_factor\":1.5305,\"shift_factor\":0.0609,"
            + "\"encoder\":true}");
    assertThat(http.getJson("/v1/models/vp-cos-v").has("latent")).isFalse();
  }

  @Test
  void answersDecodedSamplesUnlessAskedForLatents() {
    String request = "{\"n\":3,\"sampler\":\"heun\",\"steps\":8,\"seed\":4%s}";
    JsonNode latent = Http.json(http.post(SAMPLES, request.formatted(",\"output\":\"latent\""),
        null));
    assertThat(latent.get("output").asString()).isEqualTo("latent");
    assertThat(latent.get("shape").toString()).isEqualTo("[2]");
    for (String output : List.of("", ",\"output\":\"decoded\"")) {
      JsonNode decoded = Http.json(http.post(SAMPLES, request.formatted(output), null));
      assertThat(decoded.get("output").asString()).isEqualTo("decoded");
      assertThat(decoded.get("shape").toString()).isEqualTo("[3,4,4]");
      assertThat(decoded.get("nfe").asInt()).isEqualTo(latent.get("nfe").asInt());
      for (int i = 0; i < 3; i++) {
        JsonNode z = latent.get("samples").get(i);
        JsonNode image = decoded.get("samples").get(i);
        for (int j = 0; j < 48; j++) {
          assertThat(image.get(j / 16).get(j / 4 % 4).get(j % 4).asDouble())
              .as("sample %d value %d", i, j)
              .isCloseTo(decoded(z.get(0).asDouble(), z.get(1).asDouble(), j),
                  org.assertj.core.data.Offset.offset(1e-5));
        }
      }
    }
    // A model that samples its data directly takes "decoded" and answers without "output".
    JsonNode plain = Http.json(http.post("/v1/models/vp-cos-v/samples",
        "{\"n\":1,\"steps\":4,\"output\":\"decoded\"}", null));
    assertThat(plain.has("output")).isFalse();
    assertThat(plain.get("shape").toString()).isEqualTo("[2]");
  }

  @Test
  void npyAndPngAnswersHaveTheShapeOfWhatTheyHold() throws IOException {
    String body = "{\"n\":5,\"steps\":4,\"seed\":1%s}";
    assertThat(npyShape(http.post(SAMPLES, body.formatted(""), "application/x-npy")))
        .isEqualTo("(5, 3, 4, 4)");
    assertThat(npyShape(http.post(SAMPLES, body.formatted(",\"output\":\"latent\""),
        "application/x-npy"))).isEqualTo("(5, 2)");
    HttpResponse<byte[]> png = http.post(SAMPLES, body.formatted(""), "image/png");
    assertThat(png.statusCode()).isEqualTo(200);
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png.body()));
    // 5 images of 4x4 on a 3-column grid of 2 rows, with 2-pixel gaps.
    assertThat(List.of(image.getWidth(), image.getHeight())).containsExactly(3 * 6 + 2, 2 * 6 + 2);
    JsonNode json = Http.json(http.post(SAMPLES, body.formatted(""), null));
    JsonNode first = json.get("samples").get(0);
    int rgb = image.getRGB(2 + 1, 2 + 2);
    for (int c = 0; c < 3; c++) {
      double value = first.get(c).get(2).get(1).asDouble();
      long level = Math.round(Math.max(0, Math.min(1, (value + 1) / 2)) * 255);
      assertThat((long) (rgb >> (16 - 8 * c) & 0xff)).as("channel %d", c).isEqualTo(level);
    }
    // A colour grid's gaps are mid-gray in every channel.
    assertThat(image.getRGB(0, 0) & 0xffffff).isEqualTo(0x808080);
    assertThat(image.getRGB(7, 3) & 0xffffff).isEqualTo(0x808080);
    // Asked for latents, a client that takes images or JSON gets JSON.
    HttpResponse<byte[]> either = http.post(SAMPLES, body.formatted(",\"output\":\"latent\""),
        "image/*;q=0.9, application/json;q=0.1");
    assertThat(either.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(Http.json(either).get("shape").toString()).isEqualTo("[2]");
  }

  @Test
  void theDecoderRunsBatchedAndItsCostIsMetered() {
    String tags = "{application=\"streamline\",model=\"flow-sd3-latent\"}";
    String passes = "streamline_decoder_batch_size_count" + tags;
    String rows = "streamline_decoder_batch_size_sum" + tags;
    String time = "streamline_decoder_duration_seconds_count" + tags;
    double passesBefore = http.metric(passes);
    double rowsBefore = http.metric(rows);
    List<CompletableFuture<Integer>> requests = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String body = "{\"n\":2,\"sampler\":\"euler\",\"steps\":16,\"seed\":" + i + "}";
      requests.add(CompletableFuture.supplyAsync(
          () -> http.post(SAMPLES, body, null).statusCode()));
    }
    requests.forEach(r -> assertThat(r.join()).isEqualTo(200));
    // Every row was decoded once, in at most one pass per request (fewer when they shared).
    assertThat(http.metric(rows) - rowsBefore).isEqualTo(12);
    assertThat(http.metric(passes) - passesBefore).isBetween(1.0, 6.0);
    assertThat(http.metric(time)).isGreaterThanOrEqualTo(http.metric(passes));
  }

  private static String npyShape(HttpResponse<byte[]> response) {
    assertThat(response.statusCode()).isEqualTo(200);
    ByteBuffer buffer = ByteBuffer.wrap(response.body()).order(ByteOrder.LITTLE_ENDIAN);
    buffer.position(8);
    int headerLength = buffer.getShort();
    String header = new String(response.body(), 10, headerLength, StandardCharsets.US_ASCII);
    return header.substring(header.indexOf("'shape': ") + 9, header.indexOf(", }"));
  }
}
