package dev.tokenrail.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Takes the soak's samples: each child JVM measured from outside ({@link ProcessProbe}), the consumer lags,
 * the gateway's and the worker's own gauges from their {@code /metrics}, and the load's counts so far; and
 * prints a few lines per sample, so a long run shows its trend as it goes.
 */
final class SoakSampler {

  /**
   * One moment of the run. {@code minute} counts from the start of the load; {@code series} is each
   * process's number of {@code /metrics} series by metric name.
   */
  record Sample(String label, double minute, List<ProcessProbe.Reading> processes, Map<String, Double> figures,
                Map<String, Map<String, Integer>> series) {
    ProcessProbe.Reading process(String name) {
      return processes.stream().filter(p -> p.process().equals(name)).findFirst().orElseThrow();
    }
  }

  static final String WORKER_LAG = "worker group lag on the requests topic (records)";
  static final String READER_LAG = "gateway events reader lag (records)";
  static final String OPEN_STREAMS = "gateway open SSE streams";
  static final String STREAM_PLACES = "gateway stream places taken";
  static final String FALLBACKS = "gateway slow-client fallbacks (total)";
  static final String LOOKUP_RECORDS = "gateway lookup records read (total)";
  static final String GENERATIONS = "worker generations running";
  static final String GATEWAY_SERIES = "gateway /metrics series";
  static final String WORKER_SERIES = "broker+worker /metrics series";
  static final String STARTED = "answers started";
  static final String FINISHED = "answers finished";
  static final String SERVER_ERRORS = "5xx";
  static final String ERRORS = "connection errors";
  static final String BROKEN = "broken answers";

  private final SoakProcesses processes;
  private final ConsumerLag lag;
  private final SoakCounters counters;

  SoakSampler(SoakProcesses processes, ConsumerLag lag, SoakCounters counters) {
    this.processes = processes;
    this.lag = lag;
    this.counters = counters;
  }

  Sample take(String label, double minute) throws Exception {
    List<ProcessProbe.Reading> readings = new ArrayList<>();
    for (SoakProcesses.Child child : processes.children()) {
      readings.add(ProcessProbe.read(child.name(), child.process()));
    }
    MetricsScrape gateway = MetricsScrape.of(processes.gatewayPort());
    MetricsScrape worker = MetricsScrape.of(processes.workerMetricsPort());
    Map<String, Double> figures = new LinkedHashMap<>();
    figures.put(WORKER_LAG, (double) lag.workerGroupLag());
    figures.put(READER_LAG, gateway.get("tokenrail_events_reader_lag"));
    figures.put(OPEN_STREAMS, gateway.get("tokenrail_sse_connections"));
    figures.put(STREAM_PLACES, gateway.get("tokenrail_stream_places"));
    figures.put(FALLBACKS, gateway.get("tokenrail_sse_slow_client_fallbacks_total"));
    figures.put(LOOKUP_RECORDS, gateway.get("tokenrail_lookup_records_read_total"));
    figures.put(GENERATIONS, worker.get("tokenrail_generations_active"));
    figures.put(GATEWAY_SERIES, gateway.sums().isEmpty() ? Double.NaN : gateway.series());
    figures.put(WORKER_SERIES, worker.sums().isEmpty() ? Double.NaN : worker.series());
    figures.put(STARTED, (double) counters.started());
    figures.put(FINISHED, (double) counters.finished());
    figures.put(SERVER_ERRORS, (double) counters.serverErrorCount());
    figures.put(ERRORS, (double) counters.errorCount());
    figures.put(BROKEN, (double) counters.brokenCount());
    Map<String, LatencyHistogram> window = counters.takeWindow();
    for (String route : List.of(SoakHttp.FORGED_MESSAGE, SoakHttp.FORGED_EVENT_ID, SoakHttp.POST_MESSAGE)) {
      LatencyHistogram h = window.get(route);
      figures.put(route + " p50 ms since the last sample", h == null ? Double.NaN : h.percentileMillis(0.5));
      figures.put(route + " max ms since the last sample", h == null ? Double.NaN : h.percentileMillis(1.0));
    }
    Sample sample = new Sample(label, minute, readings, figures,
        Map.of(SoakProcesses.GATEWAY, gateway.seriesByMetric(), SoakProcesses.WORKER, worker.seriesByMetric()));
    print(sample);
    return sample;
  }

  private static void print(Sample s) {
    Progress.line("sample '%s' at minute %.1f", s.label(), s.minute());
    for (ProcessProbe.Reading r : s.processes()) {
      if (!r.alive()) {
        System.out.printf("             %-14s (pid %d): NOT RUNNING%n", r.process(), r.pid());
        continue;
      }
      System.out.printf(Locale.ROOT, "             %-14s (pid %d): live heap after full GC %.1f MB, metaspace %.1f MB, "
              + "fds %d, threads %d, RSS %.0f MB, CPU %.0f s%n", r.process(), r.pid(), r.heapMb(), r.metaspaceMb(), r.fds(),
          r.threads(), r.rssMb(), r.cpuSeconds());
    }
    Map<String, Double> f = s.figures();
    System.out.printf(Locale.ROOT, "             lag: worker group %s, gateway reader %s · open streams %s · answers %s started, "
            + "%s finished · 5xx %s · errors %s · broken %s · slow-client fallbacks %s · /metrics series %s + %s%n",
        n(f.get(WORKER_LAG)), n(f.get(READER_LAG)), n(f.get(OPEN_STREAMS)), n(f.get(STARTED)), n(f.get(FINISHED)),
        n(f.get(SERVER_ERRORS)), n(f.get(ERRORS)), n(f.get(BROKEN)), n(f.get(FALLBACKS)), n(f.get(GATEWAY_SERIES)),
        n(f.get(WORKER_SERIES)));
    System.out.printf(Locale.ROOT, "             forged lookups p50/max since the last sample: ?messageId %s/%s ms, "
            + "Last-Event-ID %s/%s ms; lookup records read %s; POST p50/max %s/%s ms%n",
        n(f.get(SoakHttp.FORGED_MESSAGE + " p50 ms since the last sample")),
        n(f.get(SoakHttp.FORGED_MESSAGE + " max ms since the last sample")),
        n(f.get(SoakHttp.FORGED_EVENT_ID + " p50 ms since the last sample")),
        n(f.get(SoakHttp.FORGED_EVENT_ID + " max ms since the last sample")), n(f.get(LOOKUP_RECORDS)),
        n(f.get(SoakHttp.POST_MESSAGE + " p50 ms since the last sample")),
        n(f.get(SoakHttp.POST_MESSAGE + " max ms since the last sample")));
  }

  /** A figure as the report shows it: whole numbers without decimals, "n/a" when it was not available. */
  static String n(Double value) {
    if (value == null || value.isNaN() || value < 0) {
      return "n/a";
    }
    return value == Math.rint(value) ? String.format(Locale.ROOT, "%,d", value.longValue())
        : String.format(Locale.ROOT, "%,.1f", value);
  }
}
