package dev.streamline.models.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.streamline.models.store.BundledModels;
import dev.streamline.models.store.ModelStore;
import dev.streamline.sampler.Divergence;
import dev.streamline.sampler.Inspection;
import dev.streamline.sampler.JacobianTrace;
import dev.streamline.sampler.Model;
import dev.streamline.sampler.SamplingJob;
import dev.streamline.sampler.SamplingLoop;
import java.nio.file.Files;
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

/**
 * What a likelihood costs against sampling the same model with the same sampler and steps
 * ({@link #sample} and {@link #likelihood}, per batch), and whether concurrent likelihood
 * requests are better served by one gradient pass over all their rows ({@link #traceBatched}:
 * what the service's trace batcher does) or by taking turns at the one gradient collector
 * ({@link #traceSerialized}: what the lock alone would leave them).
 *
 * <p>Run: see the README's "Benchmarks" section.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
    "-Dai.djl.pytorch.num_interop_threads=1"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
public class LikelihoodBenchmark {

  @Param({"moons-flow"})
  public String model;

  @Param({"64"})
  public int batch;

  @Param({"heun"})
  public String sampler;

  @Param({"16"})
  public int steps;

  /** "exact" or "hutchinson" (one probe). */
  @Param({"exact"})
  public String divergence;

  /** Requests whose rows {@link #traceBatched} and {@link #traceSerialized} carry. */
  @Param({"4"})
  public int requests;

  private NDManager manager;
  private ModelStore.Loaded loaded;
  private NDArray data;
  private NDArray x;
  private NDArray t;
  private NDArray probes;

  @Setup(Level.Trial)
  public void load() throws Exception {
    manager = NDManager.newBaseManager();
    loaded = ModelStore.load(BundledModels.extract(model, Files.createTempDirectory("bench")),
        manager);
    Model m = loaded.model();
    data = manager.randomNormal(new Shape(batch).addAll(m.sampleShape())).clip(-1, 1);
    x = manager.randomNormal(new Shape(batch * requests).addAll(m.sampleShape()));
    t = manager.full(new Shape(batch * requests), 0.5f);
    probes = manager.randomNormal(x.getShape()).sign();
  }

  @TearDown(Level.Trial)
  public void close() {
    loaded.close();
    manager.close();
  }

  private SamplingJob job() {
    return SamplingJob.of(sampler, steps, batch, 1).forModel(loaded.model());
  }

  @Benchmark
  public int sample() {
    try (NDManager scope = manager.newSubManager()) {
      return SamplingLoop.sampleChecked(loaded.model(), job(), scope).nfe();
    }
  }

  @Benchmark
  public int likelihood() {
    Divergence kind = divergence.equals("exact") ? Divergence.exact() : Divergence.hutchinson(1);
    try (NDManager scope = manager.newSubManager()) {
      return SamplingLoop.likelihood(loaded.model(), job().forLikelihood(), data, kind,
          Inspection.NONE, scope).nfe();
    }
  }

  /** The rows of all requests in one gradient pass. */
  @Benchmark
  public float traceBatched() {
    try (NDManager scope = manager.newSubManager()) {
      return JacobianTrace.rowwise(loaded.model(), x, t, null, probes).trace().getFloat(0);
    }
  }

  /** Each request's rows in a gradient pass of their own, one after another. */
  @Benchmark
  public float traceSerialized() {
    float last = 0;
    try (NDManager scope = manager.newSubManager()) {
      for (int r = 0; r < requests; r++) {
        String rows = r * batch + ":" + (r + 1) * batch;
        last = JacobianTrace.rowwise(loaded.model(), x.get(rows), t.get(rows), null,
            probes.get(rows)).trace().getFloat(0);
      }
    }
    return last;
  }
}
