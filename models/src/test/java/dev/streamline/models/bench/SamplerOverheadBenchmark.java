package dev.streamline.models.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.streamline.models.store.BundledModels;
import dev.streamline.models.store.ModelStore;
import dev.streamline.sampler.Model;
import dev.streamline.sampler.SamplerCatalog;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SamplingLoop;
import dev.streamline.sampler.SamplingResult;
import java.nio.file.Files;
import java.util.Collection;
import java.util.TreeMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The sampler's own cost: the wall time of an N-step sample over N times the time of one forward
 * pass at the same batch size. Everything a sampler adds to the network (grids, parameterization
 * conversions, noise, per-step memory scopes) shows in that ratio.
 *
 * <p>Run: see the README's "Benchmarks" section; {@link #main} prints the ratio per model and
 * sampler from the medians of the measured iterations.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
    "-Dai.djl.pytorch.num_interop_threads=1"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 7, time = 2)
public class SamplerOverheadBenchmark {

  @Param({"moons-flow"})
  public String model;

  @Param({"256"})
  public int batch;

  private NDManager manager;
  private ModelStore.Loaded loaded;
  private NDArray x;
  private NDArray t;
  private int[] labels;

  @Setup(Level.Trial)
  public void load() throws Exception {
    manager = NDManager.newBaseManager();
    loaded = ModelStore.load(BundledModels.extract(model, Files.createTempDirectory("bench")),
        manager);
    Model m = loaded.model();
    x = manager.randomNormal(new Shape(batch).addAll(m.sampleShape()));
    t = manager.full(new Shape(batch), 0.5f);
    labels = m.classCount() > 0 ? new int[batch] : null;
  }

  @TearDown(Level.Trial)
  public void close() {
    loaded.close();
    manager.close();
  }

  @Benchmark
  public float forward() {
    try (NDManager scope = manager.newSubManager()) {
      NDArray in = x.duplicate();
      in.attach(scope);
      NDArray out = loaded.model().predict(in, t, labels);
      return out.getFloat(new long[out.getShape().dimension()]);
    }
  }

  /** What {@link #sample} runs; its own state, so that {@link #forward} runs once per batch. */
  @State(Scope.Benchmark)
  public static class Run {
    @Param({"euler", "heun", "dpmpp-2m"})
    public String sampler;

    @Param({"16"})
    public int steps;
  }

  @Benchmark
  public int sample(Run run) {
    try (NDManager scope = manager.newSubManager()) {
      SamplingResult result = SamplingLoop.sample(loaded.model(),
          SamplingJob.of(run.sampler, run.steps, batch, 1), scope);
      return result.nfe();
    }
  }

  /**
   * Runs the benchmark and prints, from the iteration medians, each forward pass's time per row
   * (how much a wider pass saves: the most batching can gain) and sample / (NFE × forward).
   */
  public static void main(String[] args) throws RunnerException {
    OptionsBuilder options = new OptionsBuilder();
    options.include(SamplerOverheadBenchmark.class.getSimpleName());
    for (String arg : args) {
      String[] kv = arg.split("=", 2);
      options.param(kv[0], kv[1].split(","));
    }
    Collection<RunResult> results = new Runner(options.build()).run();
    Map<String, Double> forward = new TreeMap<>();
    Map<String, double[]> sample = new TreeMap<>();
    for (RunResult r : results) {
      String key = r.getParams().getParam("model") + " batch " + r.getParams().getParam("batch");
      double median = median(r);
      if (r.getParams().getBenchmark().endsWith("forward")) {
        forward.put(key, median);
      } else {
        sample.put(key + " " + r.getParams().getParam("sampler") + " "
            + r.getParams().getParam("steps"), new double[] {median});
      }
    }
    System.out.println("model, batch: forward ms, forward ms per row");
    forward.forEach((k, f) -> System.out.printf("%s: %.3f, %.3f%n", k, f,
        f / Integer.parseInt(k.substring(k.lastIndexOf(' ') + 1))));
    System.out.println("model, batch, sampler, steps: NFE, sample ms, forward ms, overhead");
    sample.forEach((k, v) -> {
      String[] parts = k.split(" ");
      String fkey = parts[0] + " batch " + parts[2];
      int stepsCount = Integer.parseInt(parts[4]);
      int evals = stepsCount * SamplerCatalog.spec(parts[3]).evalsPerStep();
      double f = forward.get(fkey);
      System.out.printf("%s: %d, %.3f, %.4f, %.3f%n", k, evals, v[0], f, v[0] / (evals * f));
    });
  }

  private static double median(RunResult r) {
    double[] scores = r.getBenchmarkResults().stream()
        .flatMap(b -> b.getIterationResults().stream())
        .mapToDouble(i -> i.getPrimaryResult().getScore()).sorted().toArray();
    return scores[scores.length / 2];
  }
}
