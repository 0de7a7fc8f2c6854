package dev.streamline.service.batching;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The dispatch rules as plain arithmetic: rows, sessions and nanoTime readings. */
class DispatchPolicyTest {

  /** 256 rows at most, 2 ms of delay. */
  private final DispatchPolicy policy = new DispatchPolicy(256, 2_000_000);

  /**
   * The wait the moment the oldest evaluation arrived, when the delay alone would hold it 2 ms;
   * {@link DispatchPolicy#complete}, which wakes a worker, must say the same.
   */
  private long waitOnArrival(int pendingRows, int pendingEvaluations, int sessions, int running) {
    long wait = policy.waitNanos(pendingRows, pendingEvaluations, sessions, running, 1_000, 0,
        1_000);
    assertThat(policy.complete(pendingRows, pendingEvaluations, sessions, running))
        .isEqualTo(wait == 0);
    return wait;
  }

  @Test
  void dispatchesAtOnceWhenEveryOpenSessionNotInAPassIsWaiting() {
    assertThat(waitOnArrival(4, 5, 5, 0)).isZero();
    // 5 sessions, 3 of them in a running pass: the other 2 are waiting, none can join.
    assertThat(waitOnArrival(4, 2, 5, 3)).isZero();
    // One of the 2 is still in its sampler step: wait the whole delay for it.
    assertThat(waitOnArrival(4, 1, 5, 3)).isEqualTo(2_000_000);
    assertThat(waitOnArrival(4, 4, 5, 0)).isEqualTo(2_000_000);
  }

  @Test
  void dispatchesAtOnceWhenTheRowsFillAPass() {
    assertThat(waitOnArrival(256, 1, 5, 0)).isZero();
    assertThat(waitOnArrival(300, 1, 5, 0)).isZero();
    assertThat(waitOnArrival(255, 1, 5, 0)).isEqualTo(2_000_000);
  }

  @Test
  void otherwiseWaitsUntilTheDelayAfterTheOldestEvaluation() {
    // The last pass ended at 500, before the oldest evaluation came at 1 000: 1 000 + 2 000 000.
    assertThat(policy.waitNanos(8, 2, 5, 0, 1_000, 500, 1_500)).isEqualTo(1_999_500);
    assertThat(policy.waitNanos(8, 2, 5, 0, 1_000, 500, 2_000_999)).isEqualTo(1);
    assertThat(policy.waitNanos(8, 2, 5, 0, 1_000, 500, 2_001_000)).isZero();
    assertThat(policy.waitNanos(8, 2, 5, 0, 1_000, 500, 9_000_000)).isZero();
  }

  @Test
  void aPassThatJustEndedRestartsTheDelay() {
    // The oldest evaluation has waited past the delay, but a pass ended at 2 500 000: its
    // sessions are the likeliest company, so the wait runs until 2 500 000 + 2 000 000.
    assertThat(policy.waitNanos(8, 2, 5, 0, 1_000, 2_500_000, 2_600_000)).isEqualTo(1_900_000);
    assertThat(policy.waitNanos(8, 2, 5, 0, 1_000, 2_500_000, 4_500_000)).isZero();
  }

  @Test
  void comparesNanoTimeReadingsAcrossTheirWrapAround() {
    // The pass ended 20 ns after the oldest evaluation came, with nanoTime wrapping in between.
    long oldest = Long.MAX_VALUE - 9;
    long passEnd = Long.MIN_VALUE + 10;
    assertThat(policy.waitNanos(8, 2, 5, 0, oldest, passEnd, passEnd)).isEqualTo(2_000_000);
    assertThat(policy.waitNanos(8, 2, 5, 0, passEnd, oldest, passEnd)).isEqualTo(2_000_000);
    assertThat(policy.waitNanos(8, 2, 5, 0, oldest, passEnd, passEnd + 2_000_000)).isZero();
  }
}
