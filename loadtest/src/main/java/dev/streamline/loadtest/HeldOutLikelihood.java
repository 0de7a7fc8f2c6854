package dev.streamline.loadtest;

import dev.streamline.models.data.FashionMnist;
import dev.streamline.models.data.TwoDimensionalDataset;
import dev.streamline.sampler.analytic.GaussianMixture;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Likelihood as a quality axis: the negative log-likelihood of the same held-out data in every
 * cell, integrated by the cell's own sampler at its own steps or tolerance
 * ({@code POST /v1/models/{id}/likelihood}). Only samplers that integrate a likelihood's ODE are
 * scored; the others' columns stay empty. The NFE is the likelihood requests' own, which differ
 * from sampling's for adaptive samplers (the augmented ODE has its own error).
 */
final class HeldOutLikelihood {

  /** The names {@link #measure} reports, in column order. */
  static final List<String> METRICS =
      List.of("nll", "nllStdErr", "nllFloor", "bitsPerDim", "likelihoodNfe");

  /** Points per request: a few hundred kilobytes of JSON for images. */
  private static final int CHUNK = 64;

  private static final int ATTEMPTS = 5;

  /**
   * The held-out points.
   *
   * @param rows flat, in model space
   * @param labels each point's class, or null for an unconditional model
   * @param logDensity each point's exact log-density where the data distribution is known, else
   *     null
   * @param images whether they are 8-bit images, whose usual figure is bits per dimension
   * @param description where the points came from, for the report
   */
  record HeldOut(float[][] rows, int[] labels, double[] logDensity, boolean images,
      String description) {

    /** Points drawn from an analytic model's mixture, with their exact log-density. */
    static HeldOut ofMixture(GaussianMixture target, int count, long seed) {
      float[][] rows = Rows.toFloats(target.sample(count, new Random(heldOutSeed(seed))));
      // The density of the points as sent, in single precision.
      double[][] sent = Rows.toDoubles(rows);
      double[] logDensity = new double[count];
      for (int i = 0; i < count; i++) {
        logDensity[i] = target.logDensity(sent[i], 1, 0);
      }
      return new HeldOut(rows, null, logDensity, false,
          count + " fresh draws from the model's mixture, whose exact log-density is the floor");
    }

    /** Fresh draws from a toy data set's generator: points no training run has seen. */
    static HeldOut ofDataset(TwoDimensionalDataset dataset, int count, long seed) {
      return new HeldOut(Rows.toFloats(dataset.sample(count, heldOutSeed(seed))), null, null,
          false, count + " fresh draws from " + dataset.id());
    }

    /**
     * The first test images, each pixel moved uniformly within its 8-bit bin (width 2/255 on
     * [−1, 1]): the usual dequantization, without which a density on the grid's points says
     * little. The labels are the images' own.
     */
    static HeldOut ofImages(FashionMnist.Split test, int count, boolean labelled, long seed) {
      Random random = new Random(heldOutSeed(seed));
      int size = test.pixelsPerImage();
      float[][] rows = new float[count][size];
      int[] labels = labelled ? new int[count] : null;
      for (int i = 0; i < count; i++) {
        for (int k = 0; k < size; k++) {
          rows[i][k] = test.pixels()[i * size + k] + (float) (random.nextDouble() * 2 / 255);
        }
        if (labelled) {
          labels[i] = test.labels()[i];
        }
      }
      return new HeldOut(rows, labels, null, true, "the first " + count + " Fashion-MNIST test"
          + " images, dequantized uniformly within their 8-bit bins");
    }

    /** Not the sweep's sampling seeds, nor the quality meters' reference draws. */
    private static long heldOutSeed(long seed) {
      return ~seed;
    }
  }

  private final ServiceClient client;
  private final String model;
  private final List<Integer> shape;
  private final HeldOut data;
  private final String divergence;
  private final Integer probes;
  private final long seed;
  private final Backoff.Pause pause;

  /**
   * @param shape the model's sample shape, which the request's samples must have
   * @param divergence "exact" or "hutchinson", or null for the server's default
   * @param probes Hutchinson probes per point, or null for the server's default
   * @param seed point i draws its probes from seed + i, in every cell
   */
  HeldOutLikelihood(ServiceClient client, String model, List<Integer> shape, HeldOut data,
      String divergence, Integer probes, long seed, Backoff.Pause pause) {
    this.client = client;
    this.model = model;
    this.shape = List.copyOf(shape);
    this.data = data;
    this.divergence = divergence;
    this.probes = probes;
    this.seed = seed;
    this.pause = pause;
  }

  HeldOut data() {
    return data;
  }

  /** The metric charted against NFE: bits per dimension for images, else nats. */
  String primary() {
    return data.images() ? "bitsPerDim" : "nll";
  }

  /**
   * The cell's {@link #METRICS}: mean NLL in nats and its standard error over the points, the
   * exact NLL of the same points where known, mean bits per dimension, and NFE per request.
   */
  Map<String, Double> measure(Cell cell) throws ServiceException {
    int count = data.rows().length;
    double[] nll = new double[count];
    double bits = 0;
    double nfe = 0;
    for (int start = 0; start < count; start += CHUNK) {
      int n = Math.min(CHUNK, count - start);
      ObjectNode body = body(cell, start, n);
      JsonNode answer;
      try {
        answer = Backoff.whileBusy(pause, ATTEMPTS, () -> client.likelihood(model, body));
      } catch (ServiceException e) {
        throw new ServiceException(e.status(), "cell " + cell.label() + ": the likelihood of the"
            + " held-out data failed (--likelihood-samples 0 leaves it out): " + e.getMessage());
      }
      JsonNode logLikelihood = answer.path("logLikelihood");
      JsonNode bitsPerDim = answer.path("bitsPerDim");
      if (logLikelihood.size() != n || bitsPerDim.size() != n) {
        throw new ServiceException(200, "cell " + cell.label() + ": the likelihood answer holds "
            + logLikelihood.size() + " values for " + n + " points");
      }
      for (int i = 0; i < n; i++) {
        nll[start + i] = -logLikelihood.get(i).asDouble();
        bits += bitsPerDim.get(i).asDouble();
      }
      nfe += answer.path("nfe").asDouble() * n;
    }
    double mean = 0;
    for (double v : nll) {
      mean += v / count;
    }
    double squares = 0;
    for (double v : nll) {
      squares += (v - mean) * (v - mean);
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("nll", mean);
    metrics.put("nllStdErr", count > 1 ? Math.sqrt(squares / (count - 1) / count) : Double.NaN);
    metrics.put("nllFloor", floor());
    metrics.put("bitsPerDim", bits / count);
    metrics.put("likelihoodNfe", nfe / count);
    return metrics;
  }

  /** The exact NLL of the points, the least any model can score on them in expectation. */
  private double floor() {
    if (data.logDensity() == null) {
      return Double.NaN;
    }
    double sum = 0;
    for (double v : data.logDensity()) {
      sum -= v;
    }
    return sum / data.logDensity().length;
  }

  private ObjectNode body(Cell cell, int start, int n) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    ArrayNode samples = body.putArray("samples");
    for (int i = start; i < start + n; i++) {
      nest(samples.addArray(), data.rows()[i], 0, 0);
    }
    Requests.solver(body, cell);
    if (divergence != null) {
      body.put("divergence", divergence);
    }
    if (probes != null) {
      body.put("probes", probes);
    }
    body.put("seed", seed + start);
    if (data.labels() != null) {
      ArrayNode labels = body.putArray("labels");
      for (int i = start; i < start + n; i++) {
        labels.add(data.labels()[i]);
      }
    }
    return body;
  }

  /** Writes {@code row} from {@code offset} into {@code node} as the nested arrays of the shape. */
  private int nest(ArrayNode node, float[] row, int axis, int offset) {
    int length = shape.get(axis);
    for (int j = 0; j < length; j++) {
      if (axis == shape.size() - 1) {
        node.add(row[offset++]);
      } else {
        offset = nest(node.addArray(), row, axis + 1, offset);
      }
    }
    return offset;
  }
}
