package dev.tokenrail.worker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OffsetTrackerTest {

  @Test
  void commitsOnlyPastTheOldestUnfinishedRequest() {
    OffsetTracker tracker = new OffsetTracker();
    tracker.track(10);
    tracker.track(11);
    tracker.track(12);

    assertThat(tracker.finish(12)).isEmpty(); // 10 and 11 still running
    assertThat(tracker.finish(11)).isEmpty();
    assertThat(tracker.finish(10)).hasValue(13); // everything through 12 is done
    assertThat(tracker.inFlight()).isZero();
  }

  @Test
  void commitsEachPrefixAsItCompletes() {
    OffsetTracker tracker = new OffsetTracker();
    tracker.track(0);
    tracker.track(5); // offsets may skip (compaction, control records)
    assertThat(tracker.finish(0)).hasValue(1);
    assertThat(tracker.finish(5)).hasValue(6);
  }
}
