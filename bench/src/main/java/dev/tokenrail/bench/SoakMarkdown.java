package dev.tokenrail.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * The soak's result for people: {@code soak-latest.md} ({@link #render}) and the shorter summary printed at
 * the end of a run ({@link #summary}), both from the JSON {@link SoakReport} builds.
 */
final class SoakMarkdown {

  private SoakMarkdown() {
  }

  static String render(JsonObject r) {
    JsonObject run = r.getJsonObject("run");
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "# Soak: %s min, %d conversations%n%n", num(run.getDouble("minutes")),
        run.getInteger("conversations")));
    md.append(String.format(Locale.ROOT, "%s · %d cores · Java %s · `%s`%n%n", run.getString("date"), run.getInteger("cores"),
        run.getString("java"), run.getString("command")));
    md.append(String.format(Locale.ROOT, "Tokenrail from `%s` (built %s), as two JVMs (`%s`): broker + worker, and a gateway. "
            + "Demo model at 50 tokens/s after 200 ms; auth and the message rate limit off. Warm-up %s min; samples "
            + "once a minute after it. Load: %d conversations at once (3–6 turns of 40 tokens, 1–4 s apart, then a new "
            + "conversation), %s completions/s, %s forged lookups/s, %d slow readers. Logs: `%s`.%n%n",
        run.getString("launcherJar"), run.getString("launcherJarModified"), run.getString("childJvmOptions"),
        num(run.getDouble("warmupMinutes")), run.getInteger("conversations"), num(run.getDouble("completionsPerSecond")),
        num(run.getDouble("forgedPerSecond")), run.getInteger("slowReaders"), run.getString("logs")));
    if (run.getString("note") != null) {
      md.append("**Note:** ").append(run.getString("note")).append("\n\n");
    }

    md.append("## Goals\n\n| goal | target | measured | met |\n|---|---|---|---|\n");
    for (Object o : r.getJsonArray("goals")) {
      JsonObject g = (JsonObject) o;
      md.append("| ").append(g.getString("goal")).append("added".equals(g.getString("source")) ? " (added)" : "")
          .append(" | ").append(g.getString("target")).append(" | ").append(g.getString("measured")).append(" | ")
          .append(g.getBoolean("met") ? "yes" : "**no**").append(" |\n");
    }
    md.append("\nThe heap bound, ±").append(num(SoakReport.HEAP_SLOPE_LIMIT_MB_PER_MINUTE)).append(" MB/min: at the default load "
        + "that is a leak of ~200 bytes per answer or ~1 KB per conversation (anything that would hurt a process "
        + "running for weeks is above it), and about three times what the heap after a full GC moves between samples "
        + "under the same load. \"(added)\" goals are not in the issue; they hold what the soak checks anyway.\n");

    md.append("\n## Per process\n");
    r.getJsonObject("processes").forEach(e -> process(md, e.getKey(), (JsonObject) e.getValue()));

    md.append("\n## Lag, gateway and load figures per sample\n\n| figure |");
    JsonArray samples = r.getJsonArray("samples");
    samples.forEach(o -> md.append(' ').append(((JsonObject) o).getString("label")).append(" (min ")
        .append(num(((JsonObject) o).getDouble("minute"))).append(") |"));
    md.append("\n|---|").append("---|".repeat(samples.size())).append('\n');
    for (String figure : samples.getJsonObject(0).getJsonObject("figures").fieldNames()) {
      md.append("| ").append(figure).append(" |");
      samples.forEach(o -> md.append(' ').append(SoakSampler.n(((JsonObject) o).getJsonObject("figures").getDouble(figure)))
          .append(" |"));
      md.append('\n');
    }
    Double fallbacks = samples.getJsonObject(samples.size() - 1).getJsonObject("figures").getDouble(SoakSampler.FALLBACKS);
    if (fallbacks != null && fallbacks == 0) {
      md.append("\nNo stream fell behind at the gateway (slow-client fallbacks 0): a stalled reader's kernel socket buffers "
          + "(`net.ipv4.tcp_wmem` here: ").append(r.getJsonObject("run").getString("tcpWmem")).append(") take megabytes "
          + "— minutes of a stream at model speed — before the gateway's write queue sees any backpressure. The slow "
          + "readers that stall longest (up to 7 minutes, in runs long enough) are the ones that reach that path.\n");
    }

    JsonObject answers = r.getJsonObject("answers");
    JsonObject completions = r.getJsonObject("completions");
    md.append(String.format(Locale.ROOT, "%n## Answers%n%nNative API: **%,d started** (202), **%,d finished** (%s), "
            + "**%,d lost** (no terminal event %s), %,d broken.  %nCompletions (`/v1/chat/completions`): %,d sent, %,d "
            + "answered whole, %,d failed, %,d lost.%n", answers.getLong("started"), answers.getLong("finished"),
        answers.getJsonObject("terminals").encode(), answers.getLong("lost"),
        answers.getBoolean("drainedWithinDeadline") ? "— drained in time" : "within 60 s after the load stopped",
        answers.getLong("broken"), completions.getLong("sent"), completions.getLong("answered"),
        completions.getLong("failed"), completions.getLong("lost")));
    list(md, "Broken answers (first 20)", answers.getJsonArray("brokenSamples"));
    list(md, "Lost answers (first 20): how far each got", answers.getJsonArray("lostSamples"));
    md.append("\nWhat the clients did: ").append(r.getJsonObject("events").encode()).append('\n');

    md.append("\n## HTTP by route\n\n| route | requests | statuses | p50 / p99 / max ms to the response head |\n|---|---|---|---|\n");
    r.getJsonObject("http").forEach(e -> {
      JsonObject h = (JsonObject) e.getValue();
      md.append(String.format(Locale.ROOT, "| `%s` | %,d | %s | %s / %s / %s |%n", e.getKey(), h.getLong("requests"),
          h.getJsonObject("statuses").encode(), num(h.getDouble("p50Ms")), num(h.getDouble("p99Ms")), num(h.getDouble("maxMs"))));
    });
    md.append("\n5xx by route: ").append(r.getJsonObject("serverErrors").isEmpty() ? "none" : r.getJsonObject("serverErrors").encode())
        .append("  \nConnection errors: ").append(r.getJsonObject("errors").isEmpty() ? "none" : "").append('\n');
    r.getJsonObject("errors").forEach(e -> md.append("* ").append(e.getKey()).append(": ").append(e.getValue()).append('\n'));
    return md.toString();
  }

  private static void process(StringBuilder md, String name, JsonObject p) {
    md.append(String.format(Locale.ROOT, "%n### %s (pid %d)%n%n", name, p.getLong("pid")));
    md.append("| sample | minute | live heap after full GC MB | metaspace MB | fds | threads | RSS MB | CPU s |\n|---|---|---|---|---|---|---|---|\n");
    for (Object o : p.getJsonArray("samples")) {
      JsonObject s = (JsonObject) o;
      if (!s.getBoolean("alive")) {
        md.append("| ").append(s.getString("label")).append(" | ").append(num(s.getDouble("minute"))).append(" | not running | | | | | |\n");
        continue;
      }
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %d | %d | %s | %s |%n", s.getString("label"),
          num(s.getDouble("minute")), num(s.getDouble("heapMb")), num(s.getDouble("metaspaceMb")), s.getInteger("fds"),
          s.getInteger("threads"), num(s.getDouble("rssMb")), num(s.getDouble("cpuSeconds"))));
    }
    if (p.containsKey("heapSlopeMbPerMinute")) {
      md.append(String.format(Locale.ROOT, "%nHeap slope after warm-up: **%s MB/min** (least squares over the samples: %s); "
              + "metaspace %s MB/min; fds %s %%, threads %s %%.%n", num(p.getDouble("heapSlopeMbPerMinute")),
          p.getDouble("heapSlopeFittedMbPerMinute") == null ? "fewer than 3 samples" : num(p.getDouble("heapSlopeFittedMbPerMinute")) + " MB/min",
          num(p.getDouble("metaspaceSlopeMbPerMinute")), num(percent(p.getDouble("fdsChange"))), num(percent(p.getDouble("threadsChange")))));
    }
    JsonArray growth = p.getJsonArray("classGrowth");
    if (growth != null && !growth.isEmpty()) {
      md.append("\nLive objects that grew most from the warm-up to the end (class histograms):\n\n| class | instances | bytes |\n|---|---|---|\n");
      for (Object o : growth) {
        JsonObject g = (JsonObject) o;
        md.append(String.format(Locale.ROOT, "| `%s` | %+,d | %+,d |%n", g.getString("class"), g.getLong("instances"), g.getLong("bytes")));
      }
    }
    JsonObject series = p.getJsonObject("metricSeriesGrowth");
    if (series != null && !series.isEmpty()) {
      md.append("\nMetrics with the most new `/metrics` series from the warm-up to the end: ").append(series.encode()).append('\n');
    }
    if (p.containsKey("heapKeptAfterDrainMb")) {
      md.append(String.format(Locale.ROOT, "%nHeap kept once the load had drained and the clients were gone, against idle "
              + "before the load: %s MB, %s bytes per answer (native and completions) — one-time warm-up included.%n",
          num(p.getDouble("heapKeptAfterDrainMb")), num(p.getDouble("heapKeptBytesPerAnswer"))));
    }
    JsonArray largest = p.getJsonArray("largestClassesAtEnd");
    if (largest != null && !largest.isEmpty()) {
      md.append("\nWhat the heap is made of at the end: ");
      for (int i = 0; i < largest.size(); i++) {
        JsonObject g = largest.getJsonObject(i);
        md.append(String.format(Locale.ROOT, "%s`%s` %,.1f MB", i == 0 ? "" : ", ", g.getString("class"),
            g.getLong("bytes") / 1048576.0));
      }
      md.append(".\n");
    }
    JsonObject log = p.getJsonObject("log");
    if (log != null) {
      md.append(String.format(Locale.ROOT, "%nLog: %,d WARN and %,d ERROR lines.%n", log.getLong("warnings"), log.getLong("errors")));
      log.getJsonArray("first").forEach(line -> md.append("* `").append(String.valueOf(line).replace('`', '\'')).append("`\n"));
    }
  }

  /** The end of a run on stdout: the goals, the answer ledger and what went wrong, without the tables. */
  static String summary(JsonObject r) {
    StringBuilder out = new StringBuilder("\nSoak result\n");
    for (Object o : r.getJsonArray("goals")) {
      JsonObject g = (JsonObject) o;
      out.append(String.format(Locale.ROOT, "  %-4s %-52s %s (target %s)%n", g.getBoolean("met") ? "ok" : "FAIL",
          g.getString("goal"), g.getString("measured"), g.getString("target")));
    }
    JsonObject answers = r.getJsonObject("answers");
    JsonObject completions = r.getJsonObject("completions");
    out.append(String.format(Locale.ROOT, "  answers: %,d started, %,d finished %s, %,d lost, %,d broken; completions %,d sent, "
            + "%,d answered, %,d failed, %,d lost%n", answers.getLong("started"), answers.getLong("finished"),
        answers.getJsonObject("terminals").encode(), answers.getLong("lost"), answers.getLong("broken"),
        completions.getLong("sent"), completions.getLong("answered"), completions.getLong("failed"), completions.getLong("lost")));
    r.getJsonObject("processes").forEach(e -> {
      JsonObject p = (JsonObject) e.getValue();
      JsonArray growth = p.getJsonArray("classGrowth");
      if (growth != null && !growth.isEmpty()) {
        out.append("  ").append(e.getKey()).append(": grew most: ");
        for (int i = 0; i < Math.min(4, growth.size()); i++) {
          JsonObject g = growth.getJsonObject(i);
          out.append(String.format(Locale.ROOT, "%s%s %+,d B", i == 0 ? "" : ", ", g.getString("class"), g.getLong("bytes")));
        }
        out.append('\n');
      }
      JsonObject log = p.getJsonObject("log");
      if (log != null && log.getLong("warnings") + log.getLong("errors") > 0) {
        out.append(String.format(Locale.ROOT, "  %s log: %,d WARN, %,d ERROR%n", e.getKey(), log.getLong("warnings"), log.getLong("errors")));
      }
    });
    out.append("  statuses by route:\n");
    r.getJsonObject("http").forEach(e -> out.append(String.format(Locale.ROOT, "    %-60s %s%n", e.getKey(),
        ((JsonObject) e.getValue()).getJsonObject("statuses").encode())));
    r.getJsonObject("errors").forEach(e -> out.append("  error: ").append(e.getKey()).append(" ×").append(e.getValue()).append('\n'));
    answers.getJsonArray("brokenSamples").stream().limit(5).forEach(b -> out.append("  broken: ").append(b).append('\n'));
    answers.getJsonArray("lostSamples").stream().limit(5).forEach(b -> out.append("  lost: ").append(b).append('\n'));
    return out.toString();
  }

  private static void list(StringBuilder md, String title, JsonArray items) {
    if (items.isEmpty()) {
      return;
    }
    md.append('\n').append(title).append(":\n\n");
    items.forEach(i -> md.append("* ").append(i).append('\n'));
  }

  /** Signed, up to two decimals, thousands separated; "n/a" for a missing figure. */
  static String num(Double v) {
    if (v == null || v.isNaN()) {
      return "n/a";
    }
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.format(Locale.ROOT, "%,d", v.longValue())
        : String.format(Locale.ROOT, "%,.2f", v);
  }

  private static Double percent(Double fraction) {
    return fraction == null ? null : fraction * 100;
  }
}
