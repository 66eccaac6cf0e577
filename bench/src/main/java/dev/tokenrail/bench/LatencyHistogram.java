package dev.tokenrail.bench;

import java.util.concurrent.atomic.AtomicLongArray;

/** Millisecond latencies in one-millisecond buckets (up to a minute); thread-safe, allocation-free. */
final class LatencyHistogram {

  private static final int MAX_MS = 60_000;
  private final AtomicLongArray counts = new AtomicLongArray(MAX_MS + 1);

  void record(long millis) {
    counts.incrementAndGet((int) Math.max(0, Math.min(MAX_MS, millis)));
  }

  long count() {
    long n = 0;
    for (int i = 0; i <= MAX_MS; i++) {
      n += counts.get(i);
    }
    return n;
  }

  /** The smallest latency that at least {@code quantile} of the samples do not exceed. */
  long percentile(double quantile) {
    long total = count();
    long rank = (long) Math.ceil(quantile * total);
    long seen = 0;
    for (int i = 0; i <= MAX_MS; i++) {
      seen += counts.get(i);
      if (seen >= rank && seen > 0) {
        return i;
      }
    }
    return MAX_MS;
  }
}
