package dev.tokenrail.gateway.access;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Enforces {@link ClientLimits} on one gateway: a token bucket of messages per subject (Bucket4j), and
 * counts of open SSE streams per subject and in all. Used on the gateway's event loop only.
 *
 * <p>A subject's bucket is dropped once it has had a minute to refill — forgetting a full bucket changes
 * nothing — so memory follows the subjects active in the last minute, not every subject ever seen.
 */
final class SubjectLimits {

  /** Whether a stream may open, and if not, whose limit it met. */
  enum Admission { ADMITTED, SUBJECT_FULL, GATEWAY_FULL }

  private record RateState(Bucket bucket, long lastUsedNanos) {
  }

  private final ClientLimits limits;
  private final Map<String, RateState> rates = new HashMap<>();
  private final Map<String, Integer> streamsBySubject = new HashMap<>();
  private int streams;

  SubjectLimits(ClientLimits limits) {
    this.limits = limits;
  }

  /**
   * Takes one message from the subject's bucket. Empty when it may send; otherwise the seconds until it
   * may (for {@code Retry-After}). A null subject (authentication off) is not limited.
   */
  OptionalLong tryMessage(String subject) {
    if (subject == null || limits.messagesPerMinute() == 0) {
      return OptionalLong.empty();
    }
    long now = System.nanoTime();
    RateState state = rates.compute(subject, (s, old) -> new RateState(old != null ? old.bucket() : newBucket(), now));
    ConsumptionProbe probe = state.bucket().tryConsumeAndReturnRemaining(1);
    if (probe.isConsumed()) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L));
  }

  /** Counts a stream in, or says which limit it met. Every admitted stream must be {@link #closeStream closed}. */
  Admission tryOpenStream(String subject) {
    if (streams >= limits.maxStreams()) {
      return Admission.GATEWAY_FULL;
    }
    if (subject != null) {
      int open = streamsBySubject.getOrDefault(subject, 0);
      if (open >= limits.maxStreamsPerSubject()) {
        return Admission.SUBJECT_FULL;
      }
      streamsBySubject.put(subject, open + 1);
    }
    streams++;
    return Admission.ADMITTED;
  }

  int openStreams() {
    return streams;
  }

  void closeStream(String subject) {
    streams--;
    if (subject != null) {
      streamsBySubject.computeIfPresent(subject, (s, open) -> open == 1 ? null : open - 1);
    }
  }

  /** Forgets buckets idle for a minute: they are full again. Called periodically. */
  void evictIdle() {
    long cutoff = System.nanoTime() - Duration.ofMinutes(1).toNanos();
    for (Iterator<RateState> it = rates.values().iterator(); it.hasNext(); ) {
      if (it.next().lastUsedNanos() - cutoff < 0) {
        it.remove();
      }
    }
  }

  private Bucket newBucket() {
    int perMinute = limits.messagesPerMinute();
    return Bucket.builder()
        .addLimit(limit -> limit.capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)))
        .build();
  }
}
