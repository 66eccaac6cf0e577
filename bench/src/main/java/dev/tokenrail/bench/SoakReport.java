package dev.tokenrail.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The soak's result as data ({@code soak-latest.json}): the run, every sample per process, the slopes and
 * changes between the post-warm-up sample and the end of the load, which classes grew, the answer ledger,
 * statuses and latencies by route, errors, and the goals with whether each was met. {@link SoakMarkdown}
 * renders it for people.
 *
 * <p>The heap goal is a slope within ±1 MB/minute. Why that bound: at the default load (300 conversations,
 * roughly a thousand new conversations and five thousand answers a minute) it is what a leak of some 200
 * bytes per answer or 1 KB per conversation produces, so anything that would hurt a long-running process
 * is above it; and it is about three times what the heap after a full GC moves between samples under the
 * same load (a few MB of answers, buffers and Kafka batches in flight, over nine minutes). A tighter bound
 * would fail on noise, a looser one would pass a process that grows by over a gigabyte a day.
 */
final class SoakReport {

  static final double HEAP_SLOPE_LIMIT_MB_PER_MINUTE = 1.0;
  static final double FLAT_LIMIT = 0.10;
  static final String WARM = "after warm-up";
  static final String END = "end of the load";
  static final String AFTER = "after the drain, clients gone";

  /** Everything the soak knows at the end, as {@link SoakScenario} hands it over. */
  record Inputs(JsonObject run, List<SoakSampler.Sample> samples, SoakCounters counters, boolean drained,
                String aborted, Map<String, LogSummary> logs) {
  }

  private SoakReport() {
  }

  static JsonObject build(Inputs in) {
    JsonObject result = new JsonObject().put("run", in.run());
    JsonArray goals = new JsonArray();
    SoakSampler.Sample warm = find(in.samples(), WARM);
    SoakSampler.Sample end = find(in.samples(), END);
    SoakSampler.Sample after = find(in.samples(), AFTER);

    JsonObject processes = new JsonObject();
    for (ProcessProbe.Reading first : in.samples().get(0).processes()) {
      String name = first.process();
      JsonObject p = new JsonObject().put("pid", first.pid()).put("samples", processSamples(in.samples(), name));
      if (warm != null && end != null && warm.process(name).alive() && end.process(name).alive()) {
        ProcessProbe.Reading w = warm.process(name);
        ProcessProbe.Reading e = end.process(name);
        double span = end.minute() - warm.minute();
        double slope = (e.heapMb() - w.heapMb()) / span;
        p.put("heapSlopeMbPerMinute", round(slope)).put("heapSlopeFittedMbPerMinute", round(fittedSlope(in.samples(), name)))
            .put("metaspaceSlopeMbPerMinute", round((e.metaspaceMb() - w.metaspaceMb()) / span))
            .put("fdsChange", round(change(w.fds(), e.fds()))).put("threadsChange", round(change(w.threads(), e.threads())));
        BenchResults.goal(goals, "heap slope after warm-up, " + name, String.format(Locale.ROOT, "within ±%.0f MB/min",
                HEAP_SLOPE_LIMIT_MB_PER_MINUTE),
            String.format(Locale.ROOT, "%+.2f MB/min (%.1f → %.1f MB over %.1f min)", slope, w.heapMb(), e.heapMb(), span),
            Math.abs(slope) <= HEAP_SLOPE_LIMIT_MB_PER_MINUTE).put("source", "issue");
        flatGoal(goals, "open file descriptors, " + name, w.fds(), e.fds());
        flatGoal(goals, "threads, " + name, w.threads(), e.threads());
        if (w.histogram() != null && e.histogram() != null) {
          JsonArray growth = new JsonArray();
          e.histogram().growthSince(w.histogram(), 12).forEach(g -> growth.add(new JsonObject()
              .put("class", g.className()).put("instances", g.instances()).put("bytes", g.bytes())));
          p.put("classGrowth", growth);
          JsonArray largest = new JsonArray();
          e.histogram().largest(8).forEach(g -> largest.add(new JsonObject()
              .put("class", g.className()).put("instances", g.instances()).put("bytes", g.bytes())));
          p.put("largestClassesAtEnd", largest);
        }
        p.put("metricSeriesGrowth", seriesGrowth(warm.series().get(name), end.series().get(name)));
      }
      SoakSampler.Sample idle = in.samples().get(0);
      if (after != null && idle.process(name).alive() && after.process(name).alive() && in.counters().started() > 0) {
        // Less noisy than the slope: nothing is in flight in either, so what stayed is what the load left behind.
        double kept = after.process(name).heapMb() - idle.process(name).heapMb();
        long answers = in.counters().started() + in.counters().completionsSent();
        p.put("heapKeptAfterDrainMb", round(kept)).put("heapKeptBytesPerAnswer", Math.round(kept * 1048576 / answers));
      }
      LogSummary log = in.logs().get(name);
      if (log != null) {
        p.put("log", new JsonObject().put("warnings", log.warnings()).put("errors", log.errors())
            .put("first", new JsonArray(log.firstLines())));
      }
      processes.put(name, p);
    }
    result.put("processes", processes);

    JsonArray samples = new JsonArray();
    in.samples().forEach(s -> samples.add(new JsonObject().put("label", s.label()).put("minute", round(s.minute()))
        .put("figures", figures(s.figures()))));
    result.put("samples", samples);

    SoakCounters c = in.counters();
    long lost = c.outstandingCount();
    long completionsLost = c.completionsSent() - c.completionsAnswered() - c.completionsFailed();
    result.put("answers", new JsonObject().put("started", c.started()).put("finished", c.finished()).put("lost", lost)
        .put("terminals", counts(c.terminals())).put("broken", c.brokenCount())
        .put("brokenSamples", new JsonArray(c.brokenSamples())).put("lostSamples", new JsonArray(c.outstandingSamples(20)))
        .put("drainedWithinDeadline", in.drained()));
    result.put("completions", new JsonObject().put("sent", c.completionsSent()).put("answered", c.completionsAnswered())
        .put("failed", c.completionsFailed()).put("lost", completionsLost));
    result.put("http", http(c));
    result.put("serverErrors", counts(c.serverErrors()));
    result.put("errors", counts(c.errors()));
    result.put("events", counts(c.events()));

    BenchResults.goal(goals, "answers lost", "0", String.format(Locale.ROOT, "%,d of %,d accepted; %,d of %,d completions",
        lost, c.started(), completionsLost, c.completionsSent()), lost == 0 && completionsLost == 0).put("source", "issue");
    BenchResults.goal(goals, "5xx", "0", String.format(Locale.ROOT, "%,d %s", c.serverErrorCount(),
        c.serverErrors().isEmpty() ? "" : c.serverErrors()), c.serverErrorCount() == 0).put("source", "issue");
    BenchResults.goal(goals, "answers whole and in order", "0 broken",
        String.format(Locale.ROOT, "%,d broken (gap, duplicate, text mismatch, unexpected error/cancelled; completions incomplete)",
            c.brokenCount()), c.brokenCount() == 0).put("source", "added");
    BenchResults.goal(goals, "connection errors", "0", String.format(Locale.ROOT, "%,d", c.errorCount()),
        c.errorCount() == 0).put("source", "added");
    if (after != null) {
      double open = after.figures().getOrDefault(SoakSampler.OPEN_STREAMS, Double.NaN);
      BenchResults.goal(goals, "gateway open streams once every client left", "0", SoakSampler.n(open), open == 0)
          .put("source", "added");
    }
    BenchResults.goal(goals, "both processes up to the end", "yes", in.aborted() == null ? "yes" : in.aborted(),
        in.aborted() == null).put("source", "added");
    result.put("goals", goals);
    result.put("allMet", goals.stream().allMatch(g -> ((JsonObject) g).getBoolean("met")));
    return result;
  }

  static void write(Path dir, JsonObject result) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("soak-latest.json"), result.encodePrettily() + "\n");
    Files.writeString(dir.resolve("soak-latest.md"), SoakMarkdown.render(result));
  }

  private static void flatGoal(JsonArray goals, String name, int before, int after) {
    double change = change(before, after);
    BenchResults.goal(goals, name, String.format(Locale.ROOT, "within ±%.0f %%", FLAT_LIMIT * 100),
        String.format(Locale.ROOT, "%d → %d (%+.1f %%)", before, after, change * 100), Math.abs(change) <= FLAT_LIMIT)
        .put("source", "issue");
  }

  private static JsonArray processSamples(List<SoakSampler.Sample> samples, String name) {
    JsonArray rows = new JsonArray();
    for (SoakSampler.Sample s : samples) {
      ProcessProbe.Reading r = s.process(name);
      rows.add(new JsonObject().put("label", s.label()).put("minute", round(s.minute())).put("alive", r.alive())
          .put("heapMb", round(r.heapMb())).put("metaspaceMb", round(r.metaspaceMb())).put("fds", r.fds())
          .put("threads", r.threads()).put("rssMb", round(r.rssMb())).put("cpuSeconds", round(r.cpuSeconds())));
    }
    return rows;
  }

  /** Least squares over the samples from the warm-up to the end of the load: less moved by one noisy sample. */
  private static double fittedSlope(List<SoakSampler.Sample> samples, String name) {
    List<SoakSampler.Sample> span = samples.stream()
        .dropWhile(s -> !s.label().equals(WARM))
        .takeWhile(s -> !s.label().equals(AFTER))
        .filter(s -> s.process(name).alive())
        .toList();
    if (span.size() < 3) {
      return Double.NaN;
    }
    double mx = span.stream().mapToDouble(SoakSampler.Sample::minute).average().orElse(0);
    double my = span.stream().mapToDouble(s -> s.process(name).heapMb()).average().orElse(0);
    double num = 0;
    double den = 0;
    for (SoakSampler.Sample s : span) {
      num += (s.minute() - mx) * (s.process(name).heapMb() - my);
      den += (s.minute() - mx) * (s.minute() - mx);
    }
    return num / den;
  }

  private static JsonObject http(SoakCounters c) {
    JsonObject routes = new JsonObject();
    c.statuses().forEach((route, statuses) -> {
      JsonObject byStatus = new JsonObject();
      statuses.forEach((status, n) -> byStatus.put(Integer.toString(status), n));
      LatencyHistogram h = c.latency(route);
      routes.put(route, new JsonObject().put("requests", statuses.values().stream().mapToLong(Long::longValue).sum())
          .put("statuses", byStatus).put("p50Ms", h.percentileMillis(0.5)).put("p99Ms", h.percentileMillis(0.99))
          .put("maxMs", h.percentileMillis(1.0)));
    });
    return routes;
  }

  private static JsonObject figures(Map<String, Double> figures) {
    JsonObject json = new JsonObject();
    figures.forEach((k, v) -> json.put(k, v == null || v.isNaN() ? null : v));
    return json;
  }

  /** The metrics whose number of series grew most between two samples. */
  private static JsonObject seriesGrowth(Map<String, Integer> before, Map<String, Integer> after) {
    JsonObject growth = new JsonObject();
    if (before == null || after == null) {
      return growth;
    }
    after.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0)))
        .filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(10)
        .forEach(e -> growth.put(e.getKey(), e.getValue()));
    return growth;
  }

  private static JsonObject counts(Map<String, Long> counts) {
    JsonObject json = new JsonObject();
    counts.forEach(json::put);
    return json;
  }

  private static SoakSampler.Sample find(List<SoakSampler.Sample> samples, String label) {
    return samples.stream().filter(s -> s.label().equals(label)).findFirst().orElse(null);
  }

  private static double change(int before, int after) {
    return before == 0 ? 0 : (after - before) / (double) before;
  }

  /** Two decimals; null (JSON has no NaN) when there is no figure. */
  private static Double round(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? null : Math.round(v * 100) / 100.0;
  }
}
