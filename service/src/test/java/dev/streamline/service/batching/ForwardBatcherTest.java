package dev.streamline.service.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.streamline.sampler.Model;
import dev.streamline.sampler.NoiseProcess;
import dev.streamline.sampler.Parameterization;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The batcher's dispatch rules, with a model that records every forward pass. */
class ForwardBatcherTest {

  /** y = 2x + t + label, one row per sample; passes wait on a gate when asked to. */
  static final class RecordingModel implements Model {
    final List<Integer> passes = new CopyOnWriteArrayList<>();
    final AtomicInteger entered = new AtomicInteger();
    volatile CountDownLatch gate = new CountDownLatch(0);
    /** Passes narrower than this round differently, as some kernels do. */
    volatile int exactFrom;

    @Override public Parameterization parameterization() { return Parameterization.VELOCITY; }
    @Override public NoiseProcess process() { return new NoiseProcess.LinearInterpolant(); }
    @Override public Shape sampleShape() { return new Shape(2); }
    @Override public int classCount() { return 3; }

    @Override
    public NDArray predict(NDArray x, NDArray t, int[] labels) {
      entered.incrementAndGet();
      try {
        gate.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      passes.add((int) x.getShape().get(0));
      NDArray label = x.getManager().create(labels).toType(x.getDataType(), false);
      NDArray y = x.mul(2).add(t.add(label).reshape(-1, 1));
      return x.getShape().get(0) < exactFrom ? y.add(1e-3f) : y;
    }
  }

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  private ForwardBatcher batcher(RecordingModel model, int maxRows, Duration delay) {
    return new ForwardBatcher("test", Network.of(model), Device.cpu(), true, maxRows, delay, 1, meters);
  }

  /** Rows of each forward pass, as the batch-size metric saw them (before padding). */
  private List<Double> passes() {
    DistributionSummary summary = meters.get("streamline.forward.batch.size").summary();
    return List.of((double) summary.count(), summary.totalAmount(), summary.max());
  }

  private static float[] evaluate(ForwardBatcher batcher, Session session, float x, float t,
      int label, int rows) {
    try (NDManager manager = NDManager.newBaseManager()) {
      float[] xs = new float[2 * rows];
      java.util.Arrays.fill(xs, x);
      float[] ts = new float[rows];
      java.util.Arrays.fill(ts, t);
      int[] labels = new int[rows];
      java.util.Arrays.fill(labels, label);
      return session.predict(manager.create(xs, new Shape(rows, 2)), manager.create(ts),
          labels).toFloatArray();
    }
  }

  @Test
  void calibrationKeepsTheMinimumPaddingWhereNarrowPassesMatchWideOnes() {
    RecordingModel model = new RecordingModel();
    model.exactFrom = ForwardPass.MIN_ROWS;
    try (ForwardBatcher batcher = batcher(model, 256, Duration.ofMillis(1));
        NDManager manager = NDManager.newBaseManager()) {
      assertThat(batcher.calibrate(manager)).isTrue();
      assertThat(model.passes).containsExactly(64, 16, 16, 17, 17, 63, 63);
      model.passes.clear();
      try (Session session = batcher.open(model, Deadline.after(Duration.ofSeconds(30)), 1)) {
        assertThat(evaluate(batcher, session, 1, 0.5f, 0, 2)).containsExactly(2.5f, 2.5f, 2.5f, 2.5f);
      }
      assertThat(model.passes).containsExactly(ForwardPass.MIN_ROWS);
    }
  }

  @Test
  void calibrationPadsEveryPassToTheMaximumWhereNarrowPassesDiffer() {
    RecordingModel model = new RecordingModel();
    model.exactFrom = 20;
    try (ForwardBatcher batcher = batcher(model, 40, Duration.ofMillis(1));
        NDManager manager = NDManager.newBaseManager()) {
      assertThat(batcher.calibrate(manager)).isFalse();
      model.passes.clear();
      try (Session session = batcher.open(model, Deadline.after(Duration.ofSeconds(30)), 1)) {
        // Exact, as in any pass of 40 rows.
        assertThat(evaluate(batcher, session, 1, 0.5f, 0, 2)).containsExactly(2.5f, 2.5f, 2.5f, 2.5f);
        evaluate(batcher, session, 1, 0.5f, 0, 50);
      }
      assertThat(model.passes).containsExactly(40, 40, 40);
    }
  }

  @Test
  void dispatchesOnceEveryOpenSessionIsWaitingAndGivesEachItsRows() throws Exception {
    RecordingModel model = new RecordingModel();
    try (ForwardBatcher batcher = batcher(model, 256, Duration.ofSeconds(30))) {
      Session a = batcher.open(model, Deadline.after(Duration.ofSeconds(30)), 1);
      Session b = batcher.open(model, Deadline.after(Duration.ofSeconds(30)), 1);
      Session c = batcher.open(model, Deadline.after(Duration.ofSeconds(30)), 1);
      CompletableFuture<float[]> ra = CompletableFuture.supplyAsync(() -> evaluate(batcher, a, 1, 0.5f, 0, 2));
      CompletableFuture<float[]> rb = CompletableFuture.supplyAsync(() -> evaluate(batcher, b, 2, 0.25f, 1, 3));
      Thread.sleep(200);
      // Two of three sessions wait: the 30 s delay holds the pass for the third.
      assertThat(model.passes).isEmpty();
      float[] rc = evaluate(batcher, c, 3, 0, 2, 1);
      // One pass of 6 rows, padded to the minimum.
      assertThat(model.passes).containsExactly(ForwardPass.MIN_ROWS);
      assertThat(passes()).containsExactly(1.0, 6.0, 6.0);
      assertThat(ra.get()).containsExactly(2.5f, 2.5f, 2.5f, 2.5f);
      assertThat(rb.get()).containsExactly(5.25f, 5.25f, 5.25f, 5.25f, 5.25f, 5.25f);
      assertThat(rc).containsExactly(8f, 8f);
      a.close();
      b.close();
      // Alone now, c's next evaluation runs at once.
      assertThat(evaluate(batcher, c, 1, 0, 0, 1)).containsExactly(2f, 2f);
      assertThat(passes()).containsExactly(2.0, 7.0, 6.0);
      c.close();
      assertThat(batcher.requests()).isZero();
    }
  }

  @Test
  void aDecoderRunsTheRowsThatArriveDuringABusyPassTogetherAndReshapesThem() throws Exception {
    List<Integer> passes = new CopyOnWriteArrayList<>();
    AtomicInteger entered = new AtomicInteger();
    CountDownLatch gate = new CountDownLatch(1);
    // [x0, x1] -> [x0 + x1, x0 - x1, 10 x0]: another shape out than in, as a decoder has.
    Network decoder = new Network(Network.Stage.DECODER, new Shape(2), new Shape(3), 0, 0, 0,
        (x, t, labels) -> {
          entered.incrementAndGet();
          try {
            gate.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          passes.add((int) x.getShape().get(0));
          NDArray a = x.get(":, 0:1");
          NDArray b = x.get(":, 1:2");
          return a.add(b).concat(a.sub(b), 1).concat(a.mul(10), 1);
        });
    try (ForwardBatcher batcher = new ForwardBatcher("test", decoder, Device.cpu(), true, 256,
        Duration.ofSeconds(30), 1, meters)) {
      CompletableFuture<float[]> first = CompletableFuture.supplyAsync(() -> decode(batcher, 1, 3));
      while (entered.get() == 0) {
        Thread.sleep(5);
      }
      List<CompletableFuture<float[]>> waiting = new ArrayList<>();
      for (int i = 2; i <= 4; i++) {
        int value = i;
        waiting.add(CompletableFuture.supplyAsync(() -> decode(batcher, value, value)));
      }
      Thread.sleep(200);
      gate.countDown();
      assertThat(first.get()).containsExactly(2, 0, 10, 2, 0, 10, 2, 0, 10);
      for (int i = 2; i <= 4; i++) {
        float[] rows = waiting.get(i - 2).get();
        assertThat(rows).hasSize(3 * i);
        assertThat(java.util.Arrays.copyOf(rows, 3)).containsExactly(2f * i, 0, 10f * i);
      }
      // The three that came while the first pass ran shared the next one: 2 + 3 + 4 rows.
      assertThat(passes).containsExactly(ForwardPass.MIN_ROWS, ForwardPass.MIN_ROWS);
      assertThat(meters.get("streamline.decoder.batch.size").summary().totalAmount())
          .isEqualTo(12);
      assertThat(meters.get("streamline.decoder.duration").timer().count()).isEqualTo(2);
    }
  }

  /** Rows of one value through {@link ForwardBatcher#run}, as a request's decoding goes. */
  private static float[] decode(ForwardBatcher batcher, float value, int rows) {
    try (NDManager manager = NDManager.newBaseManager()) {
      float[] x = new float[2 * rows];
      java.util.Arrays.fill(x, value);
      return batcher.run(manager.create(x, new Shape(rows, 2)), manager.zeros(new Shape(rows)),
          null, Deadline.after(Duration.ofSeconds(30)), 1).toFloatArray();
    }
  }

  @Test
  void aSecondWorkerRunsTheNextPassWhileTheFirstIsBusy() throws Exception {
    RecordingModel model = new RecordingModel();
    model.gate = new CountDownLatch(1);
    try (ForwardBatcher batcher = new ForwardBatcher("test", Network.of(model), Device.cpu(), true, 256,
        Duration.ofSeconds(30), 2, meters)) {
      Session a = batcher.open(model, Deadline.after(Duration.ofSeconds(30)), 1);
      CompletableFuture<float[]> ra =
          CompletableFuture.supplyAsync(() -> evaluate(batcher, a, 1, 0.5f, 0, 1));
      awaitEntered(model, 1);
      // b is the only session not in a pass, so its evaluation goes at once, beside a's.
      Session b = batcher.open(model, Deadline.after(Duration.ofSeconds(30)), 1);
      CompletableFuture<float[]> rb =
          CompletableFuture.supplyAsync(() -> evaluate(batcher, b, 2, 0.25f, 1, 2));
      awaitEntered(model, 2);
      model.gate.countDown();
      assertThat(ra.get()).containsExactly(2.5f, 2.5f);
      assertThat(rb.get()).containsExactly(5.25f, 5.25f, 5.25f, 5.25f);
      assertThat(passes()).containsExactly(2.0, 3.0, 2.0);
      a.close();
      b.close();
    }
  }

  private static void awaitEntered(RecordingModel model, int passes) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (model.entered.get() < passes && System.nanoTime() < end) {
      Thread.sleep(5);
    }
    assertThat(model.entered.get()).isEqualTo(passes);
  }

  @Test
  void theDelayBoundsTheWaitAndLargeEvaluationsRunInChunks() {
    RecordingModel model = new RecordingModel();
    try (ForwardBatcher batcher = batcher(model, 20, Duration.ofMillis(20))) {
      Session lonely = batcher.open(model, Deadline.after(Duration.ofSeconds(30)), 1);
      Session idle = batcher.open(model, Deadline.after(Duration.ofSeconds(30)), 1);
      long start = System.nanoTime();
      assertThat(evaluate(batcher, lonely, 1, 0, 0, 50)).hasSize(100).containsOnly(2f);
      assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(5));
      assertThat(passes()).containsExactly(3.0, 50.0, 20.0);
      assertThat(model.passes).containsExactly(20, 20, ForwardPass.MIN_ROWS);
      lonely.close();
      idle.close();
    }
  }

  @Test
  void theDelayRestartsWhenAPassEndsSoItsSessionsCanJoinTheWaitingOnes() throws Exception {
    RecordingModel model = new RecordingModel();
    model.gate = new CountDownLatch(1);
    try (ForwardBatcher batcher = batcher(model, 256, Duration.ofSeconds(1))) {
      Session a = batcher.open(model, Deadline.after(Duration.ofSeconds(30)), 1);
      Session b = batcher.open(model, Deadline.after(Duration.ofSeconds(30)), 1);
      // a's first pass holds the only worker while b's evaluation waits past the delay.
      CompletableFuture<float[]> ra = CompletableFuture.supplyAsync(() -> {
        evaluate(batcher, a, 1, 0, 0, 1);
        sleep(100);
        return evaluate(batcher, a, 1, 0, 0, 1);
      });
      awaitEntered(model, 1);
      CompletableFuture<float[]> rb =
          CompletableFuture.supplyAsync(() -> evaluate(batcher, b, 2, 0, 0, 1));
      Thread.sleep(1500);
      model.gate.countDown();
      assertThat(rb.get()).containsExactly(4f, 4f);
      assertThat(ra.get()).containsExactly(2f, 2f);
      // b waited for a's next step instead of running alone the moment a's pass ended.
      assertThat(passes()).containsExactly(2.0, 3.0, 2.0);
      a.close();
      b.close();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void aCancelledRequestStopsWaitingAndLeavesTheBatch() throws Exception {
    RecordingModel model = new RecordingModel();
    model.gate = new CountDownLatch(1);
    try (ForwardBatcher batcher = batcher(model, 256, Duration.ofMillis(1))) {
      Session busy = batcher.open(model, Deadline.after(Duration.ofSeconds(30)), 1);
      CompletableFuture<float[]> first =
          CompletableFuture.supplyAsync(() -> evaluate(batcher, busy, 1, 0, 0, 1));
      Thread.sleep(100);
      Deadline deadline = Deadline.after(Duration.ofSeconds(30));
      Session cancelled = batcher.open(model, deadline, 1);
      CompletableFuture<float[]> second =
          CompletableFuture.supplyAsync(() -> evaluate(batcher, cancelled, 1, 0, 0, 5));
      Thread.sleep(100);
      deadline.cancel();
      assertThatThrownBy(second::join).hasCauseInstanceOf(CancellationException.class);
      cancelled.close();
      model.gate.countDown();
      assertThat(first.get()).containsExactly(2f, 2f);
      busy.close();
      // The cancelled rows never reached the model.
      assertThat(passes()).containsExactly(1.0, 1.0, 1.0);
    }
  }

  @Test
  void withBatchingOffEachEvaluationRunsAloneOnItsCallersThread() {
    RecordingModel model = new RecordingModel();
    try (ForwardBatcher batcher = new ForwardBatcher("test", Network.of(model), Device.cpu(), false, 256,
        Duration.ofSeconds(30), 1, meters);
        Session session = batcher.open(model, Deadline.after(Duration.ofSeconds(30)), 1)) {
      // No worker to wait for: the 30 s delay never applies.
      assertThat(evaluate(batcher, session, 1, 0.5f, 2, 3)).containsOnly(4.5f);
      assertThat(model.passes).containsExactly(3);
      assertThat(passes()).containsExactly(1.0, 3.0, 3.0);
    }
  }

  @Test
  void aDeadlineEndsTheWaitWithATimeout() {
    RecordingModel model = new RecordingModel();
    model.gate = new CountDownLatch(1);
    try (ForwardBatcher batcher = batcher(model, 256, Duration.ofMillis(1))) {
      Session session = batcher.open(model, Deadline.after(Duration.ofMillis(200)), 1);
      assertThatThrownBy(() -> evaluate(batcher, session, 1, 0, 0, 1))
          .isInstanceOf(Deadline.DeadlineExceededException.class);
      model.gate.countDown();
      session.close();
    }
  }
}
