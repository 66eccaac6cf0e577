package dev.tokenrail.worker.partition;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.OptionalLong;
import java.util.Set;

/**
 * In-order commit bookkeeping for one partition. Requests finish in any order (generations run
 * concurrently), but the committed offset may only move past a request once every request before it has
 * finished too — so a crash re-delivers everything that was still running, and nothing that finished
 * before the oldest unfinished one is skipped. Confined to the verticle's context.
 */
final class OffsetTracker {

  private final ArrayDeque<Long> pending = new ArrayDeque<>();
  private final Set<Long> finished = new HashSet<>();

  /** Records that the request at {@code offset} was received; offsets arrive in increasing order. */
  void track(long offset) {
    pending.addLast(offset);
  }

  /**
   * Records that the request at {@code offset} is finished, and returns the offset to commit when the
   * committable position moved (the next offset to consume, as Kafka expects).
   */
  OptionalLong finish(long offset) {
    finished.add(offset);
    long next = -1;
    while (!pending.isEmpty() && finished.remove(pending.peekFirst())) {
      next = pending.pollFirst() + 1;
    }
    return next < 0 ? OptionalLong.empty() : OptionalLong.of(next);
  }

  int inFlight() {
    return pending.size();
  }
}
