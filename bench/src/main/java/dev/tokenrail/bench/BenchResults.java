package dev.tokenrail.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

/** Writes a run's results: {@code latest.json}, {@code latest.md} and the plots, into one directory. */
final class BenchResults {

  /** The percentiles the latency plot shows. */
  static final double[] PLOTTED = {0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999};

  private BenchResults() {
  }

  static void write(Path dir, JsonObject results, LatencyHistogram pipeline, LatencyHistogram lowLoad,
                    LatencyHistogram kafka) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("latest.json"), results.encodePrettily() + "\n");
    Files.writeString(dir.resolve("latest.md"), markdown(results));
    System.setProperty("java.awt.headless", "true");
    latencyPlot(dir.resolve("latency.png"), pipeline, lowLoad, kafka, results.getJsonObject("run").getInteger("streams"),
        results.getJsonObject("latency").getJsonObject("lowLoad").getInteger("streams"));
    throughputPlot(dir.resolve("throughput.png"), results.getJsonObject("throughput"));
    if (results.containsKey("fanout")) {
      nchanPlot(dir.resolve("nchan.png"), results);
    }
  }

  /** Tokenrail beside nginx + Nchan, each figure as a multiple of Nchan's (1 = Nchan; higher is better). */
  private static void nchanPlot(Path file, JsonObject r) throws IOException {
    JsonObject t = r.getJsonObject("throughput");
    JsonObject f = r.getJsonObject("fanout");
    JsonObject c = r.getJsonObject("connections");
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    String unicast = String.format(Locale.ROOT, "unicast, %d streams (tokens/s)", t.getInteger("streams"));
    String fanout = String.format(Locale.ROOT, "fan-out, 1 x %d (deliveries/s)", f.getInteger("subscribers"));
    String memory = "idle streams per GB of memory";
    data.addValue(t.getDouble("tokenrailApartTokensPerSecond"), "Tokenrail", unicast);
    data.addValue(t.getDouble("nchanTokensPerSecond"), "nginx + Nchan", unicast);
    data.addValue(f.getDouble("tokenrailDeliveriesPerSecond") / 10, "Tokenrail", fanout + " / 10");
    data.addValue(f.getDouble("nchanDeliveriesPerSecond") / 10, "nginx + Nchan", fanout + " / 10");
    data.addValue(1e9 / c.getDouble("rssBytesPerConnection"), "Tokenrail", memory);
    data.addValue(1e9 / c.getDouble("nchanRssBytesPerConnection"), "nginx + Nchan", memory);
    JFreeChart chart = ChartFactory.createBarChart("Tokenrail beside nginx + Nchan (same clients, servers in processes of "
        + "their own; higher is better)", null, null, data, PlotOrientation.VERTICAL, true, false, false);
    chart.getCategoryPlot().setBackgroundPaint(Color.WHITE);
    chart.getCategoryPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
    ChartUtils.saveChartAsPNG(file.toFile(), chart, 1000, 500);
  }

  private static void latencyPlot(Path file, LatencyHistogram pipeline, LatencyHistogram lowLoad, LatencyHistogram kafka,
                                  int streams, int lowLoadStreams) throws IOException {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (double q : PLOTTED) {
      String label = new java.math.BigDecimal(q * 100).stripTrailingZeros().toPlainString();
      data.addValue(pipeline.percentileMillis(q), "Tokenrail (" + streams + " streams x 50 tokens/s)", label);
      data.addValue(lowLoad.percentileMillis(q), "Tokenrail (" + lowLoadStreams + " streams x 50 tokens/s)", label);
      data.addValue(kafka.percentileMillis(q), "raw Kafka produce->consume (one record at a time)", label);
    }
    JFreeChart chart = ChartFactory.createLineChart("Token latency: event ts -> SSE client", "percentile (%)", "ms",
        data, PlotOrientation.VERTICAL, true, false, false);
    chart.getCategoryPlot().getRenderer().setSeriesStroke(0, new BasicStroke(2.5f));
    chart.getCategoryPlot().getRenderer().setSeriesStroke(1, new BasicStroke(2.5f));
    chart.getCategoryPlot().getRenderer().setSeriesStroke(2, new BasicStroke(2.5f));
    chart.getCategoryPlot().setRangeAxis(new org.jfree.chart.axis.LogarithmicAxis("ms (log scale)"));
    chart.getCategoryPlot().getDomainAxis().setMaximumCategoryLabelWidthRatio(2f);
    chart.getCategoryPlot().setBackgroundPaint(Color.WHITE);
    chart.getCategoryPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
    ChartUtils.saveChartAsPNG(file.toFile(), chart, 900, 500);
  }

  private static void throughputPlot(Path file, JsonObject throughput) throws IOException {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    data.addValue(throughput.getDouble("tokensPerSecond"), "tokens/s", "via Kafka (gateway events reader)");
    data.addValue(throughput.getDouble("baselineTokensPerSecond"), "tokens/s", "in-process (same SSE writer, no Kafka)");
    JFreeChart chart = ChartFactory.createBarChart("Relay throughput, " + throughput.getInteger("streams")
        + " concurrent SSE streams", null, "tokens/s", data, PlotOrientation.VERTICAL, false, false, false);
    chart.getCategoryPlot().setBackgroundPaint(Color.WHITE);
    chart.getCategoryPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
    ChartUtils.saveChartAsPNG(file.toFile(), chart, 900, 500);
  }

  static String markdown(JsonObject r) {
    JsonObject run = r.getJsonObject("run");
    JsonObject latency = r.getJsonObject("latency");
    JsonObject throughput = r.getJsonObject("throughput");
    JsonObject connections = r.getJsonObject("connections");
    StringBuilder md = new StringBuilder();
    md.append("# Benchmark results (").append(run.getString("mode")).append(")\n\n");
    md.append(String.format(Locale.ROOT, "%s · %d cores · Java %s · %s%n%n", run.getString("date"),
        run.getInteger("cores"), run.getString("java"), run.getString("command")));
    md.append("| figure | Tokenrail | baseline |\n|---|---|---|\n");
    md.append(String.format(Locale.ROOT, "| token latency p50 / p99 / p99.9 (%d streams x 50 tokens/s) | %.1f / %.1f / %.1f ms | raw Kafka %.1f / %.1f ms (p50 / p99) |%n",
        run.getInteger("streams"), latency.getDouble("p50Ms"), latency.getDouble("p99Ms"), latency.getDouble("p999Ms"),
        latency.getDouble("kafkaP50Ms"), latency.getDouble("kafkaP99Ms")));
    JsonObject low = latency.getJsonObject("lowLoad");
    md.append(String.format(Locale.ROOT, "| token latency p50 / p99 / p99.9 (%d streams x 50 tokens/s) | %.1f / %.1f / %.1f ms | |%n",
        low.getInteger("streams"), low.getDouble("p50Ms"), low.getDouble("p99Ms"), low.getDouble("p999Ms")));
    md.append(String.format(Locale.ROOT, "| relay throughput (%d streams) | %,.0f tokens/s | %,.0f tokens/s in-process |%n",
        throughput.getInteger("streams"), throughput.getDouble("tokensPerSecond"),
        throughput.getDouble("baselineTokensPerSecond")));
    md.append(String.format(Locale.ROOT, "| idle SSE connections held | %,d at %,d heap bytes each | bare Vert.x server: %,d bytes each |%n",
        connections.getInteger("held"), connections.getLong("heapBytesPerConnection"),
        connections.getLong("baselineHeapBytesPerConnection")));
    md.append(String.format(Locale.ROOT, "| POST -> first token, minus the model's TTFT (one message every 50 ms) | p50 %.0f ms, p99 %.0f ms | |%n",
        r.getDouble("ttftOverheadP50Ms"), r.getDouble("ttftOverheadP99Ms")));
    r.getJsonObject("ttftOverheadBursts").forEach(e -> {
      JsonObject b = (JsonObject) e.getValue();
      md.append(String.format(Locale.ROOT, "| the same, %s messages posted at once | p50 %.0f ms, p99 %.0f ms | |%n",
          e.getKey().substring("postedAtOnce".length()), b.getDouble("p50Ms"), b.getDouble("p99Ms")));
    });
    if (r.containsKey("fanout")) {
      JsonObject f = r.getJsonObject("fanout");
      JsonObject e = r.getJsonObject("endToEnd");
      md.append(String.format(Locale.ROOT, "| unicast relay, processes apart (%d streams) | %,d tokens/s | nginx + Nchan %,d tokens/s |%n",
          throughput.getInteger("streams"), throughput.getLong("tokenrailApartTokensPerSecond"),
          throughput.getLong("nchanTokensPerSecond")));
      md.append(String.format(Locale.ROOT, "| fan-out, 1 conversation x %d subscribers | %,d deliveries/s | nginx + Nchan %,d deliveries/s |%n",
          f.getInteger("subscribers"), f.getLong("tokenrailDeliveriesPerSecond"), f.getLong("nchanDeliveriesPerSecond")));
      md.append(String.format(Locale.ROOT, "| memory per idle stream (%,d streams: resident, and live heap) | %,d bytes | nginx + Nchan %,d bytes |%n",
          connections.getInteger("idleStreamsMeasured"), connections.getLong("rssBytesPerConnection"),
          connections.getLong("nchanRssBytesPerConnection")));
      String many = "tokensPerSecond" + run.getInteger("streams");
      md.append(String.format(Locale.ROOT, "| whole pipeline, processes apart: 100 / %d unpaced completions | %,d / %,d tokens/s | relay alone %,d tokens/s |%n",
          run.getInteger("streams"), e.getLong("tokensPerSecond100"), e.getLong(many), e.getLong("relayApartTokensPerSecond")));
    }
    md.append('\n');
    md.append("| goal | target | measured | met |\n|---|---|---|---|\n");
    for (Object o : r.getJsonArray("goals")) {
      JsonObject g = (JsonObject) o;
      md.append("| ").append(g.getString("goal")).append(" | ").append(g.getString("target")).append(" | ")
          .append(g.getString("measured")).append(" | ").append(g.getBoolean("met") ? "yes" : "**no**").append(" |\n");
    }
    md.append("\n![latency](latency.png)\n\n![throughput](throughput.png)\n");
    if (r.containsKey("fanout")) {
      md.append("\n![nchan](nchan.png)\n");
    }
    return md.toString();
  }

  static JsonObject goal(JsonArray goals, String name, String target, String measured, boolean met) {
    JsonObject g = new JsonObject().put("goal", name).put("target", target).put("measured", measured).put("met", met);
    goals.add(g);
    return g;
  }
}
