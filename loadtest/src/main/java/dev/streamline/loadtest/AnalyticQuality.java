package dev.streamline.loadtest;

import dev.streamline.models.metrics.QualityReport;
import dev.streamline.sampler.analytic.GaussianMixture;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Analytic Gaussian-mixture models, whose data distribution is known exactly (the model's
 * {@code target}). Every sampler is scored by the energy distance to exact mixture samples, next to
 * the distance between two exact samples; deterministic samplers also by their error against the
 * exact solution of the probability-flow ODE from the same starting noise: the root mean square
 * over samples of the Euclidean distance to a tight-tolerance dopri5 solve of the same seeds.
 */
final class AnalyticQuality implements QualityMeter {

  /** The reference solve: adaptive steps at this tolerance are far below any sampler's error. */
  static final String REFERENCE_SAMPLER = "dopri5";

  /** Samples per reference request, below the service's default limit on n. */
  private static final int REFERENCE_CHUNK = 256;

  private static final int REFERENCE_ATTEMPTS = 5;

  private static final ObjectMapper JSON = JsonMapper.builderWithJackson2Defaults().build();

  private final GaussianMixture target;
  private final long seed;
  private final ServiceClient client;
  private final String model;
  private final Requests requests;
  private final double referenceTolerance;
  private final Backoff.Pause pause;
  private double[][] reference = new double[0][];

  AnalyticQuality(GaussianMixture target, long seed, ServiceClient client, String model,
      Requests requests, double referenceTolerance, Backoff.Pause pause) {
    this.target = target;
    this.seed = seed;
    this.client = client;
    this.model = model;
    this.requests = requests;
    this.referenceTolerance = referenceTolerance;
    this.pause = pause;
  }

  /** The mixture of a model's {@code target: {weights, means, covariances}}. */
  static GaussianMixture target(JsonNode node) {
    return new GaussianMixture(JSON.treeToValue(node.path("weights"), double[].class),
        JSON.treeToValue(node.path("means"), double[][].class),
        JSON.treeToValue(node.path("covariances"), double[][][].class));
  }

  @Override
  public String primary() {
    return "energy";
  }

  @Override
  public List<String> metrics() {
    return Stream.concat(DataQuality.METRICS.stream(), Stream.of("exactError")).toList();
  }

  @Override
  public Map<String, Double> measure(int[] indices, float[][] samples, boolean deterministic)
      throws ServiceException {
    double[][] points = Rows.toDoubles(samples);
    Random random = new Random(seed);
    QualityReport report = QualityReport.evaluate(points, target.sample(points.length, random),
        target.sample(points.length, random), seed);
    Map<String, Double> metrics = new LinkedHashMap<>(DataQuality.distances(report));
    metrics.put("exactError", deterministic ? exactError(indices, points) : Double.NaN);
    return metrics;
  }

  private double exactError(int[] indices, double[][] points) throws ServiceException {
    int needed = 0;
    for (int index : indices) {
      needed = Math.max(needed, index + 1);
    }
    ensureReference(needed);
    double sum = 0;
    for (int i = 0; i < points.length; i++) {
      double[] exact = reference[indices[i]];
      for (int k = 0; k < exact.length; k++) {
        double diff = points[i][k] - exact[k];
        sum += diff * diff;
      }
    }
    return Math.sqrt(sum / points.length);
  }

  /** Solves the first {@code count} global indices once; later cells reuse them. */
  private void ensureReference(int count) throws ServiceException {
    if (reference.length >= count) {
      return;
    }
    double[][] grown = Arrays.copyOf(reference, count);
    Cell cell = Cell.adaptive(REFERENCE_SAMPLER, referenceTolerance);
    for (int start = reference.length; start < count; start += REFERENCE_CHUNK) {
      int n = Math.min(REFERENCE_CHUNK, count - start);
      System.arraycopy(solve(cell, start, n), 0, grown, start, n);
    }
    reference = grown;
  }

  /** One chunk of the reference, tried again while the server is only busy (429, 503). */
  private double[][] solve(Cell cell, int start, int n) throws ServiceException {
    try {
      return Backoff.whileBusy(pause, REFERENCE_ATTEMPTS,
          () -> client.sampleNow(model, requests.body(cell, start, n), true).rows());
    } catch (ServiceException e) {
      throw new ServiceException(e.status(), "the reference solve (" + REFERENCE_SAMPLER
          + " at rtol = atol = " + Report.fmt(referenceTolerance) + ") failed: " + e.getMessage());
    }
  }

}
