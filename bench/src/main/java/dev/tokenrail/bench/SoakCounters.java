package dev.tokenrail.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the soak's clients saw, counted as it happens, from every event loop and thread: HTTP statuses and
 * the time to the response head by route, connection errors by route, the answer ledger (accepted →
 * terminal event, and which are still outstanding), answers that arrived broken, the OpenAI-route
 * completions, and plain event counts (reconnects, cancels sent …).
 *
 * <p>Latencies are kept for the whole run and for the current window between two samples, so a route that
 * slows down as the topics grow (a forged lookup that scans a partition) shows as a trend.
 */
final class SoakCounters {

  private static final int KEPT_SAMPLES = 20;

  private final Map<String, Map<Integer, LongAdder>> statuses = new ConcurrentSkipListMap<>();
  private final Map<String, LongAdder> errors = new ConcurrentSkipListMap<>();
  private final Map<String, LatencyHistogram> latencies = new ConcurrentHashMap<>();
  private volatile Map<String, LatencyHistogram> window = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> events = new ConcurrentSkipListMap<>();
  private final Map<String, LongAdder> terminals = new ConcurrentSkipListMap<>();
  private final Map<String, AnswerCheck> outstanding = new ConcurrentHashMap<>();
  private final LongAdder started = new LongAdder();
  private final LongAdder finished = new LongAdder();
  private final LongAdder broken = new LongAdder();
  private final Queue<String> brokenSamples = new ConcurrentLinkedQueue<>();
  private final LongAdder completionsSent = new LongAdder();
  private final LongAdder completionsAnswered = new LongAdder();
  private final LongAdder completionsFailed = new LongAdder();
  private final AtomicInteger completionsInFlight = new AtomicInteger();

  // --- HTTP

  void status(String route, int status, long micros) {
    statuses.computeIfAbsent(route, r -> new ConcurrentSkipListMap<>()).computeIfAbsent(status, s -> new LongAdder())
        .increment();
    latencies.computeIfAbsent(route, r -> new LatencyHistogram()).recordMicros(micros);
    window.computeIfAbsent(route, r -> new LatencyHistogram()).recordMicros(micros);
  }

  void error(String route, Throwable e) {
    error(route, describe(e));
  }

  void error(String route, String kind) {
    errors.computeIfAbsent(route + ": " + kind, k -> new LongAdder()).increment();
  }

  static String describe(Throwable e) {
    String message = e.getMessage() == null ? "" : e.getMessage().replaceAll("\\s+", " ");
    return e.getClass().getSimpleName() + (message.isEmpty() ? "" : " " + message.substring(0, Math.min(80, message.length())));
  }

  // --- answers

  void answerStarted(AnswerCheck answer) {
    started.increment();
    outstanding.put(answer.key(), answer);
  }

  void answerFinished(AnswerCheck answer, String terminal) {
    finished.increment();
    outstanding.remove(answer.key());
    terminals.computeIfAbsent(terminal, t -> new LongAdder()).increment();
  }

  void broken(String what) {
    broken.increment();
    if (brokenSamples.size() < KEPT_SAMPLES) {
      brokenSamples.add(what);
    }
  }

  void count(String what) {
    events.computeIfAbsent(what, w -> new LongAdder()).increment();
  }

  // --- completions (POST /v1/chat/completions): answered within one response, so no ledger of their own

  void completionSent() {
    completionsSent.increment();
    completionsInFlight.incrementAndGet();
  }

  /** {@code answered}: 200 and a whole answer; otherwise a wrong status or an incomplete body. */
  void completionReturned(boolean answered, String fault) {
    completionsInFlight.decrementAndGet();
    if (answered) {
      completionsAnswered.increment();
    } else {
      completionsFailed.increment();
      if (fault != null) {
        broken("completion: " + fault);
      }
    }
  }

  /** No response at all (connection failed, timed out): the completion is lost. */
  void completionLost() {
    completionsInFlight.decrementAndGet();
  }

  // --- reading

  long started() {
    return started.sum();
  }

  long finished() {
    return finished.sum();
  }

  long brokenCount() {
    return broken.sum();
  }

  List<String> brokenSamples() {
    return new ArrayList<>(brokenSamples);
  }

  int outstandingCount() {
    return outstanding.size();
  }

  List<String> outstandingSamples(int max) {
    return outstanding.values().stream().limit(max).map(AnswerCheck::progress).toList();
  }

  Map<String, Long> terminals() {
    return snapshot(terminals);
  }

  Map<String, Long> events() {
    return snapshot(events);
  }

  Map<String, Long> errors() {
    return snapshot(errors);
  }

  long errorCount() {
    return errors.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** Route → status → count. */
  Map<String, Map<Integer, Long>> statuses() {
    Map<String, Map<Integer, Long>> copy = new TreeMap<>();
    statuses.forEach((route, byStatus) -> copy.put(route, snapshot(byStatus)));
    return copy;
  }

  /** Route → number of 5xx answers. */
  Map<String, Long> serverErrors() {
    Map<String, Long> fives = new TreeMap<>();
    statuses().forEach((route, byStatus) -> byStatus.forEach((status, n) -> {
      if (status >= 500) {
        fives.merge(route, n, Long::sum);
      }
    }));
    return fives;
  }

  long serverErrorCount() {
    return serverErrors().values().stream().mapToLong(Long::longValue).sum();
  }

  LatencyHistogram latency(String route) {
    return latencies.get(route);
  }

  /** The latencies since the last call, by route; a new window starts. */
  Map<String, LatencyHistogram> takeWindow() {
    Map<String, LatencyHistogram> ended = window;
    window = new ConcurrentHashMap<>();
    return ended;
  }

  long completionsSent() {
    return completionsSent.sum();
  }

  long completionsAnswered() {
    return completionsAnswered.sum();
  }

  long completionsFailed() {
    return completionsFailed.sum();
  }

  int completionsInFlight() {
    return completionsInFlight.get();
  }

  private static <K> Map<K, Long> snapshot(Map<K, LongAdder> counts) {
    Map<K, Long> copy = new TreeMap<>();
    counts.forEach((k, v) -> copy.put(k, v.sum()));
    return copy;
  }
}
