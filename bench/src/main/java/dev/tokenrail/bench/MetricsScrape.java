package dev.tokenrail.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A process's {@code /metrics} (Prometheus text), read as the sum of each metric over its series — the soak
 * wants totals per process, not per tag — and the number of series of each metric: a metric whose series
 * keep growing with the load is leaking labels (memory in the registry, and in every scrape).
 */
record MetricsScrape(Map<String, Double> sums, Map<String, Integer> seriesByMetric) {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  int series() {
    return seriesByMetric.values().stream().mapToInt(Integer::intValue).sum();
  }

  double get(String metric) {
    return sums.getOrDefault(metric, Double.NaN);
  }

  /** Empty when the process does not answer: a sample then shows "n/a" rather than failing the soak. */
  static MetricsScrape of(int port) {
    Map<String, Double> sums = new HashMap<>();
    Map<String, Integer> series = new TreeMap<>();
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      for (String line : r.body().split("\n")) {
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        int nameEnd = line.indexOf('{') >= 0 ? line.indexOf('{') : line.indexOf(' ');
        int valueStart = line.lastIndexOf(' ');
        if (nameEnd <= 0 || valueStart <= 0) {
          continue;
        }
        String name = line.substring(0, nameEnd);
        series.merge(name, 1, Integer::sum);
        try {
          sums.merge(name, Double.parseDouble(line.substring(valueStart + 1)), Double::sum);
        } catch (NumberFormatException notANumber) {
          // +Inf buckets and the like: not what the soak reads
        }
      }
    } catch (Exception e) {
      System.out.println("  /metrics on port " + port + " did not answer: " + SoakCounters.describe(e));
    }
    return new MetricsScrape(sums, series);
  }
}
