package dev.tokenrail.bench;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies in buckets of 0.1 ms up to 10 ms, then 1 ms up to a minute; thread-safe, allocation-free.
 * Percentiles are reported in milliseconds with one decimal below 10 ms.
 */
final class LatencyHistogram {

  private static final int FINE = 100;          // 0.0 .. 9.9 ms in tenths
  private static final int MAX_MS = 60_000;
  private final AtomicLongArray counts = new AtomicLongArray(FINE + MAX_MS + 1);

  void record(long millis) {
    recordMicros(millis * 1_000);
  }

  void recordMicros(long micros) {
    long m = Math.max(0, micros);
    int bucket = m < 10_000 ? (int) (m / 100) : FINE + (int) Math.min(MAX_MS, m / 1_000);
    counts.incrementAndGet(bucket);
  }

  /** Adds every sample of {@code other} to this one. */
  void add(LatencyHistogram other) {
    for (int i = 0; i < counts.length(); i++) {
      long n = other.counts.get(i);
      if (n != 0) {
        counts.addAndGet(i, n);
      }
    }
  }

  long count() {
    long n = 0;
    for (int i = 0; i < counts.length(); i++) {
      n += counts.get(i);
    }
    return n;
  }

  /** The latency in ms (to the bucket) that at least {@code quantile} of the samples do not exceed. */
  double percentileMillis(double quantile) {
    long total = count();
    long rank = Math.max(1, (long) Math.ceil(quantile * total));
    long seen = 0;
    for (int i = 0; i < counts.length(); i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return i < FINE ? i / 10.0 : i - FINE; // a bucket's lower bound: whole-ms samples read back exactly
      }
    }
    return MAX_MS;
  }

  /** Kept for the scenarios that report whole milliseconds. */
  long percentile(double quantile) {
    return (long) Math.ceil(percentileMillis(quantile));
  }
}
