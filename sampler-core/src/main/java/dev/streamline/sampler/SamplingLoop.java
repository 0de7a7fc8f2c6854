package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Runs a {@link SamplingJob} against a {@link Model}: draws (or takes) the starting noise, walks
 * the job's {@link StepMethod} from the noise end to the data end, and, for processes whose data
 * end still carries noise (sigma > 0 there: VP, VE, EDM), finishes with a jump to the clean
 * estimate, which is the Euler step to sigma = 0 of k-diffusion and Karras et al.
 *
 * <p>It is the one place that owns what every step shares: each step runs in its own memory
 * {@link Scope}, and each new state is checked for non-finite values and shown to the observers
 * (the {@link Trajectory}) before the next step starts.
 */
public final class SamplingLoop {

  private final SamplingJob job;
  private final Denoiser denoiser;
  private final SeededNoise noise;
  private final NDManager home;
  private final List<StepObserver> observers;
  private int lastStep;

  /** A run of a checked job in {@code home}, the run's manager. */
  SamplingLoop(Model model, SamplingJob job, NDManager home, List<StepObserver> observers) {
    this.job = job;
    this.denoiser = new Denoiser(model, job.labels(), job.guidance(), job.options().x0Guard());
    this.noise = new SeededNoise(job.seed(), job.n(), model.sampleShape());
    this.home = home;
    this.observers = observers;
  }

  /** Checks the job against the model ({@link SamplingJob#forModel}) and runs it. */
  public static SamplingResult sample(Model model, SamplingJob job, NDManager manager) {
    return sampleChecked(model, job.forModel(model), manager);
  }

  /**
   * Runs a job that {@link SamplingJob#forModel} has already checked against this model.
   *
   * @return the samples, in {@code manager}
   */
  public static SamplingResult sampleChecked(Model model, SamplingJob job, NDManager manager) {
    if (job.labels() != null && job.labels().length != job.n()) {
      throw new IllegalArgumentException("labels must be one per sample, as forModel makes them");
    }
    NoiseProcess process = model.process();
    StepMethod method = SamplerCatalog.method(job.sampler());
    try (NDManager run = manager.newSubManager()) {
      Trajectory trajectory = job.recordTrajectory()
          ? new Trajectory(job.n(), process.noiseTime()) : null;
      SamplingLoop loop = new SamplingLoop(model, job,
          run, trajectory == null ? List.of() : List.of(trajectory));
      NDArray x = loop.start(model.sampleShape()).mul(process.sigma(process.noiseTime()));
      if (trajectory != null) {
        trajectory.start(x);
      }
      x = method.run(loop, x);
      double end = process.dataTime();
      if (process.sigma(end) > 0) {
        try (Scope scope = loop.scope(x)) {
          x = scope.finish(loop.denoiser.estimate(x, end).x0(), loop.lastStep + 1, end);
        }
      }
      x.attach(manager);
      return new SamplingResult(x, loop.denoiser.evaluations(),
          trajectory == null ? List.of() : trajectory.frames());
    }
  }

  /** The unit-variance start: the job's latents (their size checked by forModel), or the draw. */
  private NDArray start(Shape shape) {
    float[] latents = job.latents();
    if (latents == null) {
      return noise.next(home, job.dataType());
    }
    return home.create(latents, new Shape(job.n()).addAll(shape)).toType(job.dataType(), false);
  }

  /** Walks a fixed-step method over the job's grid, each step in its own scope. */
  NDArray steps(FixedStepMethod fixed, NDArray x) {
    double[] grid = fixed.grid(process(), options().grid().times(process(), job.steps()));
    List<NDArray> carried = new ArrayList<>();
    for (int i = 0; i + 1 < grid.length; i++) {
      carried.add(x);
      try (Scope scope = new Scope(carried)) {
        Step step = new Step(scope, grid, i);
        x = scope.finish(fixed.step(step, x), i + 1, grid[i + 1]);
        carried = step.kept;
      }
    }
    carried.forEach(NDArray::close);
    return x;
  }

  public Denoiser denoiser() { return denoiser; }
  public NoiseProcess process() { return denoiser.process(); }
  public SamplerOptions options() { return job.options(); }

  /** Opens the scope of one step; the arrays given are owned by it and die with it. */
  public Scope scope(NDArray... owned) {
    return new Scope(Arrays.asList(owned));
  }

  private static double sum(NDArray values) {
    NDArray total = values.sum();
    return total.getDataType() == DataType.FLOAT64 ? total.getDouble() : total.getFloat();
  }

  /**
   * The memory scope of one step. DJL attaches each result to its first operand's manager, so an
   * unscoped loop keeps every intermediate of every step alive. A scope owns the state it is
   * opened with and everything computed from it; only what the step hands back through
   * {@link #keep} or {@link #finish} survives the scope's close.
   */
  public final class Scope implements AutoCloseable {

    private final NDManager scope = home.newSubManager();

    private Scope(List<NDArray> owned) {
      for (NDArray array : owned) {
        if (array != null) {
          array.attach(scope);
        }
      }
    }

    /**
     * Lends arrays that must outlive the step to it: results computed from them land in this
     * scope, and the arrays themselves go back to the run's manager when it closes.
     */
    public void borrow(NDArray... arrays) {
      scope.tempAttachAll(arrays);
    }

    /** Moves an array out of the scope so that it survives into the next step. */
    public NDArray keep(NDArray array) {
      array.attach(home);
      return array;
    }

    /**
     * Checks the new state for non-finite values and shows it to the observers.
     *
     * @param rows which samples of the job the rows of {@code next} are; null for all, in order
     */
    public void publish(NDArray next, int step, double[] times, int[] rows) {
      lastStep = step;
      // One reduction per step: a NaN or infinity anywhere makes the sum non-finite. So can an
      // overflow of finite values near the float32 limit, which only x·0 (0 where x is finite)
      // tells apart; it costs another operation, so it runs only then.
      if (!Double.isFinite(sum(next)) && !Double.isFinite(sum(next.mul(0)))) {
        throw new SamplingException(String.format(
            "%s produced non-finite values at step %d (t=%.6g); lower the guidance, add steps,"
                + " or enable the x0 clip", job.sampler(), step, times[0]));
      }
      int[] ids = rows != null ? rows : IntStream.range(0, times.length).toArray();
      for (StepObserver observer : observers) {
        observer.onStep(step, times, next, ids);
      }
    }

    /** Checks and publishes the new state of every row at one shared time, then keeps it. */
    NDArray finish(NDArray next, int step, double time) {
      double[] times = new double[(int) next.getShape().get(0)];
      Arrays.fill(times, time);
      publish(next, step, times, null);
      return keep(next);
    }

    @Override
    public void close() {
      scope.close();
    }
  }

  /**
   * One step of a fixed-step run, from {@link #t} to {@link #tNext} on the run's grid: everything
   * a {@link FixedStepMethod} works with besides the state.
   */
  public final class Step {

    private final Scope scope;
    private final double[] grid;
    private final int index;
    private final List<NDArray> kept = new ArrayList<>();

    private Step(Scope scope, double[] grid, int index) {
      this.scope = scope;
      this.grid = grid;
      this.index = index;
    }

    public Denoiser denoiser() { return denoiser; }
    public NoiseProcess process() { return denoiser.process(); }
    public SamplerOptions options() { return job.options(); }
    /** The step's number on the grid, from 0. */
    public int index() { return index; }
    public double t() { return grid[index]; }
    public double tNext() { return grid[index + 1]; }
    public int steps() { return grid.length - 1; }
    public boolean last() { return index + 2 == grid.length; }
    /** The run's grid: steps + 1 times from noise to data. Read only. */
    public double[] grid() { return grid; }

    /** Fresh standard normal noise for every sample, in the manager and type of {@code like}. */
    public NDArray noise(NDArray like) {
      return noise.next(like.getManager(), like.getDataType());
    }

    /**
     * Keeps an array (not the returned state) for the next step: it lives through that step and
     * dies with it unless kept again there.
     */
    public NDArray keep(NDArray array) {
      kept.add(scope.keep(array));
      return array;
    }
  }
}
