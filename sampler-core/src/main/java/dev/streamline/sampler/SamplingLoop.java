package dev.streamline.sampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
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
 * estimate, which is the Euler step to sigma = 0 of k-diffusion and Karras et al. The same loop
 * runs the ODE the other way, from data to the noise end: to invert sampling ({@link #encode})
 * and, with the field augmented by its divergence, for the log-likelihood of data
 * ({@link #likelihood}).
 *
 * <p>It is the one place that owns what every step shares: each step runs in its own memory
 * {@link Scope}, and each new state is checked for non-finite values and shown to the observers
 * (the {@link Trajectory}, the {@link Diagnostics}) before the next step starts.
 */
public final class SamplingLoop {

  private final SamplingJob job;
  private final Denoiser denoiser;
  private final SeededNoise noise;
  /** The per-step noise's paths when the job asks for {@code brownian-tree}; made at first use. */
  private BrownianTree tree;
  private final long[] seeds;
  private final Shape sampleShape;
  private final NDManager home;
  private final List<StepObserver> observers;
  private final Diagnostics diagnostics;
  private final double from;
  private final double to;
  private VectorField field;
  private int lastStep;

  /** A sampling run of a checked job in {@code home}, the run's manager. */
  SamplingLoop(Model model, SamplingJob job, NDManager home, List<StepObserver> observers) {
    this(model, job, Rows.of(job, false), true, home, null, observers);
  }

  private SamplingLoop(Model model, SamplingJob job, Rows rows, boolean forward, NDManager home,
      Diagnostics diagnostics, List<StepObserver> observers) {
    this.job = job;
    this.denoiser = new Denoiser(model, rows.labels, Guidance.of(job, home),
        job.options().x0Guard(), diagnostics);
    this.noise = new SeededNoise(rows.seeds, model.sampleShape());
    this.seeds = rows.seeds;
    this.sampleShape = model.sampleShape();
    this.home = home;
    this.diagnostics = diagnostics;
    this.observers = observers;
    NoiseProcess process = model.process();
    this.from = forward ? process.noiseTime() : process.dataTime();
    this.to = forward ? process.dataTime() : process.noiseTime();
    this.field = denoiser::velocity;
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
    return sampleChecked(model, job, Inspection.NONE, manager);
  }

  /** As {@link #sampleChecked(Model, SamplingJob, NDManager)}, reporting what it is asked to. */
  public static SamplingResult sampleChecked(Model model, SamplingJob job, Inspection inspection,
      NDManager manager) {
    Outcome out = run(model, job, inspection, manager, null, null);
    return new SamplingResult(out.state, out.nfe, out.trajectory, out.diagnostics);
  }

  /**
   * The latents that this job's deterministic sampling maps to {@code data}: the ODE integrated
   * from the data end back to the noise end over the job's grid reversed (DDIM inversion for
   * ddim), at unit variance as {@link SamplingJob#latents} are. Check the job with
   * {@link SamplingJob#forEncoding} first.
   *
   * @param data [n, ...sampleShape] at the process's data time
   * @return the latents as {@link SamplingResult#samples}, in {@code manager}
   */
  public static SamplingResult encode(Model model, SamplingJob job, NDArray data,
      Inspection inspection, NDManager manager) {
    Outcome out = run(model, job, inspection, manager, data, null);
    return new SamplingResult(out.state, out.nfe, out.trajectory, out.diagnostics);
  }

  /**
   * log p(x) of data by the instantaneous change of variables (Chen et al. 2018): the state and
   * ℓ = ∫ ∇·v dt integrated together from the data end to the noise end, then log p(x) =
   * log N(x_T; 0, sigma(T)²) + ℓ. The prior is the process's noise distribution, as sampling
   * starts from it. Check the job with {@link SamplingJob#forLikelihood} first.
   *
   * @param data [n, ...sampleShape] at the process's data time
   */
  public static LikelihoodResult likelihood(Model model, SamplingJob job, NDArray data,
      Divergence divergence, Inspection inspection, NDManager manager) {
    Outcome out = run(model, job, inspection, manager, data, divergence);
    return new LikelihoodResult(out.logLikelihood, out.state, out.nfe, out.diagnostics);
  }

  /** A run's rows: the samples, then their twins when the run has them. */
  private record Rows(int count, long[] seeds, int[] labels) {
    static Rows of(SamplingJob job, boolean twins) {
      int n = job.n();
      int factor = twins ? 2 : 1;
      long[] seeds = new long[n * factor];
      int[] labels = job.labels() == null ? null : new int[n * factor];
      for (int i = 0; i < seeds.length; i++) {
        seeds[i] = job.seed() + i % n;
        if (labels != null) {
          labels[i] = job.labels()[i % n];
        }
      }
      return new Rows(seeds.length, seeds, labels);
    }
  }

  private record Outcome(NDArray state, double[] logLikelihood, int nfe,
      List<Trajectory.Frame> trajectory, List<Diagnostics.Sample> diagnostics) {}

  /**
   * One run: sampling when {@code data} is null, else from data to the noise end, carrying the
   * divergence when one is given.
   */
  private static Outcome run(Model model, SamplingJob job, Inspection inspection,
      NDManager manager, NDArray data, Divergence divergence) {
    if (job.labels() != null && job.labels().length != job.n()) {
      throw new IllegalArgumentException("labels must be one per sample, as forModel makes them");
    }
    NoiseProcess process = model.process();
    boolean forward = data == null;
    int n = job.n();
    Shape shape = model.sampleShape();
    int dimension = Math.toIntExact(shape.size());
    StepMethod method = SamplerCatalog.method(job.sampler());
    Rows rows = Rows.of(job, inspection.sensitivity());
    SamplingJob.Span span = job.span();
    boolean partway = forward && span.partway();
    try (NDManager run = manager.newSubManager()) {
      Diagnostics diagnostics = inspection.diagnostics() ? new Diagnostics(n, dimension) : null;
      List<StepObserver> observers = new ArrayList<>();
      if (diagnostics != null) {
        observers.add(diagnostics);
      }
      SamplingLoop loop = new SamplingLoop(model, job, rows, forward, run, diagnostics,
          observers);
      Trajectory trajectory = null;
      if (job.recordTrajectory()) {
        // A partial run is fixed-step (forModel); it starts at its first step's time.
        trajectory = new Trajectory(n, !forward ? process.dataTime()
            : partway ? loop.schedule((FixedStepMethod) method)[0] : process.noiseTime());
        observers.add(0, trajectory);
      }
      NDArray x = !forward ? data.toType(job.dataType(), true)
          : partway ? loop.start(shape)
          : loop.start(shape).get(":" + n).mul(process.sigma(process.noiseTime()));
      x.attach(run);
      NDArray offsets = null;
      if (inspection.sensitivity()) {
        offsets = twinOffsets(x, rows.seeds);
        x = NDArrays.concat(new NDList(x, x.add(offsets)));
      }
      if (trajectory != null) {
        trajectory.start(x);
      }
      if (diagnostics != null) {
        diagnostics.start(x);
      }
      NDArray probes = null;
      if (divergence != null) {
        probes = divergence.probes(run, rows.seeds, shape, job.dataType());
        loop.field = augmented(loop.denoiser, shape, probes);
        x = NDArrays.concat(new NDList(x.reshape(rows.count, dimension),
            x.zerosLike().reshape(rows.count, dimension).get(":, :1")), 1);
      }
      x = method.run(loop, x);
      double[] logLikelihood = null;
      if (divergence != null) {
        NDArray integral = x.get(":, " + dimension);
        x = x.get(":, :" + dimension).reshape(new Shape(rows.count).addAll(shape));
        logLikelihood = logLikelihood(x.get(":" + n), integral.get(":" + n),
            process.sigma(process.noiseTime()));
      }
      if (forward && process.sigma(loop.to) > 0 && !span.stopsEarly()) {
        try (Scope scope = loop.scope(x)) {
          x = scope.finish(loop.denoiser.estimate(x, loop.to).x0(), loop.lastStep + 1, loop.to);
        }
      }
      double[] sensitivity = offsets == null ? null : growth(x, offsets, n);
      if (!forward) {
        x = x.div(process.sigma(process.noiseTime()));
      }
      NDArray state = x.get(":" + n);
      state.attach(manager);
      return new Outcome(state, logLikelihood, loop.denoiser.evaluations(),
          trajectory == null ? List.of() : trajectory.frames(),
          diagnostics == null ? List.of() : diagnostics.samples(sensitivity));
    }
  }

  /**
   * The field of the state augmented with ℓ: rows [x flattened, ℓ] move by [v, ∇·v]. Each row
   * keeps its sample's probes, whichever rows are still integrating.
   */
  private static VectorField augmented(Denoiser denoiser, Shape shape, NDArray probes) {
    int dimension = Math.toIntExact(shape.size());
    return (state, t, rows) -> {
      long count = state.getShape().get(0);
      NDArray x = state.get(":, :" + dimension).reshape(new Shape(count).addAll(shape));
      NDArray own = rows == null ? probes
          : probes.get(state.getManager().create(
              java.util.Arrays.stream(rows).asLongStream().toArray()));
      Denoiser.Flow flow = denoiser.flow(x, t, rows, own);
      return NDArrays.concat(new NDList(flow.velocity().reshape(count, dimension),
          flow.divergence().reshape(count, 1)), 1);
    };
  }

  /** log N(x_T; 0, sigma²·I) + ℓ per sample. */
  private static double[] logLikelihood(NDArray end, NDArray integral, double sigma) {
    long n = end.getShape().get(0);
    long d = end.getShape().size() / n;
    double[] squares = end.reshape(n, d).toType(DataType.FLOAT64, false).square()
        .sum(new int[] {1}).toDoubleArray();
    double[] ell = integral.toType(DataType.FLOAT64, false).toDoubleArray();
    double[] out = new double[(int) n];
    for (int i = 0; i < n; i++) {
      out[i] = -0.5 * squares[i] / (sigma * sigma) - d * (Math.log(sigma)
          + 0.5 * Math.log(2 * Math.PI)) + ell[i];
    }
    return out;
  }

  /**
   * Each sample's twin offset: {@link Inspection#TWIN_OFFSET} of the sample's norm in a direction
   * drawn from its seed, apart from its sampling noise and its probes.
   */
  private static NDArray twinOffsets(NDArray x, long[] seeds) {
    int n = (int) x.getShape().get(0);
    int size = (int) (x.getShape().size() / n);
    double[] norms = x.reshape(n, size).toType(DataType.FLOAT64, false).square()
        .sum(new int[] {1}).sqrt().toDoubleArray();
    double[] values = new double[n * size];
    for (int i = 0; i < n; i++) {
      java.util.SplittableRandom random = new java.util.SplittableRandom(seeds[i]);
      random.split();
      random = random.split();
      double length = 0;
      for (int j = 0; j < size; j++) {
        values[i * size + j] = random.nextGaussian();
        length += values[i * size + j] * values[i * size + j];
      }
      double scale = Inspection.TWIN_OFFSET * (norms[i] > 0 ? norms[i] : 1) / Math.sqrt(length);
      for (int j = 0; j < size; j++) {
        values[i * size + j] *= scale;
      }
    }
    return x.getManager().create(values, x.getShape()).toType(x.getDataType(), false);
  }

  /** ‖twin_end − sample_end‖ / ‖offset‖ per sample; rows [0, n) are samples, [n, 2n) twins. */
  private static double[] growth(NDArray end, NDArray offsets, int n) {
    NDArray gap = end.get(n + ":").sub(end.get(":" + n)).reshape(n, -1);
    double[] gaps = gap.toType(DataType.FLOAT64, false).square().sum(new int[] {1}).sqrt()
        .toDoubleArray();
    double[] sizes = offsets.reshape(n, -1).toType(DataType.FLOAT64, false).square()
        .sum(new int[] {1}).sqrt().toDoubleArray();
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = gaps[i] / sizes[i];
    }
    return out;
  }

  /** The unit-variance start: the job's latents (their size checked by forModel), or the draw. */
  private NDArray start(Shape shape) {
    float[] latents = job.latents();
    if (latents == null) {
      return noise.next(home, job.dataType());
    }
    return home.create(latents, new Shape(job.n()).addAll(shape)).toType(job.dataType(), false);
  }

  /**
   * The times a fixed-step method steps over, noise end first: the points of its whole schedule
   * from the job's first step to its end ({@link SamplingJob#span}).
   */
  private double[] schedule(FixedStepMethod fixed) {
    SamplingJob.Span span = job.span();
    double[] whole = options().grid().times(process(), span.total());
    // A table spacing that already ends on timestep 0 lays out one point fewer. The method's own
    // points (restart's intervals) go into the part that runs.
    int last = whole.length - 1;
    return fixed.grid(process(), options(), Arrays.copyOfRange(whole,
        Math.min(span.first(), last), Math.min(span.end(), last) + 1));
  }

  /**
   * Walks a fixed-step method over the job's grid, each step in its own scope. The method sees
   * only the steps it runs (a partial run starts without history, as a fresh one); the guidance
   * interval counts in the steps of the whole schedule.
   */
  NDArray steps(FixedStepMethod fixed, NDArray x) {
    double[] grid = schedule(fixed);
    boolean backwards = from != process().noiseTime();
    if (backwards) {
      grid = reversed(grid);
    }
    int first = job.span().first();
    List<NDArray> carried = new ArrayList<>();
    for (int i = 0; i + 1 < grid.length; i++) {
      denoiser.atStep(backwards ? first + grid.length - 2 - i : first + i);
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

  private static double[] reversed(double[] grid) {
    double[] out = new double[grid.length];
    for (int i = 0; i < grid.length; i++) {
      out[i] = grid[grid.length - 1 - i];
    }
    return out;
  }

  public Denoiser denoiser() { return denoiser; }
  public NoiseProcess process() { return denoiser.process(); }
  public SamplerOptions options() { return job.options(); }
  /** What the run integrates: the probability-flow field, or it with its divergence. */
  public VectorField field() { return field; }
  /** The time the run starts at: the noise end when sampling, the data end when inverting. */
  public double from() { return from; }
  /** The time it ends at. */
  public double to() { return to; }
  /** The number of the last step published so far (0 before the first). */
  public int lastStep() { return lastStep; }
  /** The recorder of per-sample diagnostics, or null when the run reports none. */
  public Diagnostics diagnostics() { return diagnostics; }

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
    /** The step's own path by default: its standardized increment from drawnFrom to drawnTo. */
    private NDArray drawn;
    private double drawnFrom;
    private double drawnTo;

    private Step(Scope scope, double[] grid, int index) {
      this.scope = scope;
      this.grid = grid;
      this.index = index;
    }

    public Denoiser denoiser() { return denoiser; }
    public VectorField field() { return field; }
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

    /**
     * Fresh standard normal noise for every sample that belongs to no time interval (a Langevin
     * corrector's, a churn's), in the manager and type of {@code like}.
     */
    public NDArray draw(NDArray like) {
      return noise.next(like.getManager(), like.getDataType());
    }

    /** The noise of {@link #noise(NDArray, double, double)} over the whole step. */
    public NDArray noise(NDArray like) {
      return noise(like, t(), tNext());
    }

    /**
     * The standard normal noise of the time interval (from, to) for every sample, in the manager
     * and type of {@code like}: the increment of a Brownian path over it divided by
     * sqrt(|to - from|). With the {@code brownian-tree} noise option that is one path per sample
     * for the whole run; by default each step has a fresh one, its first increment a fresh draw,
     * which a later interval of the step from the same start and further on extends (a
     * two-stage step's whole-step noise holds its first stage's).
     */
    public NDArray noise(NDArray like, double from, double to) {
      if (options().choice(SamplerOption.NOISE, "gaussian").equals("brownian-tree")) {
        if (tree == null) {
          tree = BrownianTree.over(process(), seeds, sampleShape);
        }
        return tree.noise(like.getManager(), like.getDataType(), from, to);
      }
      NDArray fresh = draw(like);
      if (drawn == null) {
        drawn = fresh;
        drawnFrom = from;
        drawnTo = to;
        return fresh;
      }
      if (from != drawnFrom || !(Math.abs(to - from) >= Math.abs(drawnTo - from))
          || (to - from) * (drawnTo - from) < 0) {
        throw new IllegalStateException("a step's noise intervals must share their start and"
            + " reach further; got (" + from + ", " + to + ") after (" + drawnFrom + ", "
            + drawnTo + ")");
      }
      double before = Math.abs(drawnTo - from);
      double added = Math.abs(to - drawnTo);
      drawn = drawn.mul(Math.sqrt(before)).add(fresh.mul(Math.sqrt(added)))
          .div(Math.sqrt(before + added));
      drawnTo = to;
      return drawn;
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
