package dev.tokenrail.bench;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The soak: a realistic mix of traffic for {@code --minutes} against Tokenrail running as separate
 * processes, to find what grows. It starts the processes ({@link SoakProcesses}), samples them idle, starts
 * the load ({@link SoakLoad}), samples after the warm-up (a minute, or a fifth of a short run), once a minute
 * after that and at the end of the load ({@link SoakSampler}); then stops the load, lets every accepted
 * answer end (up to 60 s: what has not ended then is lost), samples once more with every client gone, and
 * writes {@code soak-latest.md} and {@code .json} ({@link SoakReport}). Exits 2 when a goal was missed.
 *
 * <p>The post-warm-up and end samples are both taken under load, so what is in flight (open streams,
 * answers, Kafka batches) is in both and cancels out of the slope; the sample after the drain shows what
 * the processes keep once the clients are gone. Each sample runs a full GC and a heap walk (a class
 * histogram) in both processes: once a minute that is a pause the load sees, and the latencies in the report
 * include it.
 */
final class SoakScenario {

  private static final long MINUTE_MS = 60_000;
  private static final long DRAIN_MS = 60_000;

  private SoakScenario() {
  }

  static void run(Options options) throws Exception {
    double minutes = options.decimal("minutes", 10);
    SoakLoad.Settings settings = new SoakLoad.Settings(
        options.integer("conversations", 300),
        options.decimal("completions-per-second", 3),
        options.decimal("forged-per-second", 2),
        options.integer("slow-readers", 5));
    Path out = options.out();
    Path jar = options.jar();
    long totalMs = Math.round(minutes * MINUTE_MS);
    long warmMs = Math.min(MINUTE_MS, totalMs / 5);

    SoakCounters counters = new SoakCounters();
    List<SoakSampler.Sample> samples = new ArrayList<>();
    Map<String, LogSummary> logs = new LinkedHashMap<>();
    String aborted;
    boolean drained;
    Path runDir;
    Progress.phase(String.format(Locale.ROOT, "Soak: %.1f min of load (warm-up %.1f min), %d conversations, %s",
        minutes, warmMs / 60_000.0, settings.conversations(), jar));
    boolean brokerApart = options.flag("broker-apart", false);
    Map<String, String> workerEnv = options.values().containsKey("memory-conversations")
        ? Map.of("TOKENRAIL_MEMORY_MAX_CONVERSATIONS", options.values().get("memory-conversations")) : Map.of();
    try (SoakProcesses processes = SoakProcesses.start(jar, brokerApart, workerEnv);
         ConsumerLag lag = new ConsumerLag(processes.bootstrapServers())) {
      runDir = processes.runDir();
      SoakSampler sampler = new SoakSampler(processes, lag, counters);
      samples.add(sampler.take("idle, before the load", 0));
      Vertx vertx = Vertx.vertx();
      SoakLoad load = new SoakLoad(vertx, processes.gatewayPort(), settings, counters);
      long start = System.nanoTime();
      try {
        load.start(totalMs);
        Progress.phase("Load running");
        aborted = sleepUntil(start, warmMs, processes, counters, load);
        if (aborted == null) {
          samples.add(sampler.take(SoakReport.WARM, minutesSince(start)));
        }
        for (long next = warmMs + MINUTE_MS; aborted == null && next <= totalMs - MINUTE_MS / 2; next += MINUTE_MS) {
          aborted = sleepUntil(start, next, processes, counters, load);
          if (aborted == null) {
            samples.add(sampler.take("minute " + Math.round(next / 60_000.0), minutesSince(start)));
          }
        }
        if (aborted == null) {
          aborted = sleepUntil(start, totalMs, processes, counters, load);
        }
        samples.add(sampler.take(SoakReport.END, minutesSince(start)));
        load.stop();
        Progress.phase("Load stopped: draining (up to " + DRAIN_MS / 1000 + " s)");
        drained = load.awaitDrain(DRAIN_MS);
        Progress.done("%s: %,d answers lost, %d completions without a response", drained ? "drained" : "drain deadline passed",
            counters.outstandingCount(), counters.completionsInFlight());
      } finally {
        load.close();
        BenchStack.await(vertx.close());
      }
      Thread.sleep(3_000); // the gateway notices the closed connections
      samples.add(sampler.take(SoakReport.AFTER, minutesSince(start)));
      if (aborted == null) {
        aborted = processes.deadChild();
      }
      processes.children().forEach(c -> logs.put(c.name(), LogSummary.of(c)));
    }
    JsonObject result = SoakReport.build(new SoakReport.Inputs(run(options, minutes, warmMs, settings, jar, runDir),
        samples, counters, drained, aborted, logs));
    SoakReport.write(out, result);
    System.out.print(SoakMarkdown.summary(result));
    System.out.println("  written: " + out.resolve("soak-latest.md") + ", " + out.resolve("soak-latest.json")
        + "; process logs in " + runDir);
    System.exit(result.getBoolean("allMet") ? 0 : 2);
  }

  /**
   * Sleeps until {@code atMs} into the load, printing a progress line every 15 s; returns why the run must
   * stop (a child died) or null.
   */
  private static String sleepUntil(long start, long atMs, SoakProcesses processes, SoakCounters counters, SoakLoad load)
      throws InterruptedException {
    long nextLine = 0;
    while (true) {
      long now = (System.nanoTime() - start) / 1_000_000;
      String dead = processes.deadChild();
      if (dead != null) {
        Progress.line("ABORTING: %s", dead);
        return dead;
      }
      if (now >= atMs) {
        return null;
      }
      if (now >= nextLine) {
        Progress.line("%d conversations open (%,d started so far) · answers %,d started, %,d finished, %,d under way · "
                + "completions %,d · 5xx %,d · errors %,d · broken %,d", load.activeConversations(),
            load.conversationsStarted(), counters.started(), counters.finished(), counters.outstandingCount(),
            counters.completionsSent(), counters.serverErrorCount(), counters.errorCount(), counters.brokenCount());
        nextLine = now + 15_000;
      }
      Thread.sleep(Math.min(1_000, atMs - now));
    }
  }

  /** The kernel's send-buffer bounds: how much a stalled reader's socket holds before the gateway notices. */
  private static String tcpWmem() {
    try {
      // One read from offset 0: a sysctl file answers a second, partial read with nothing.
      try (java.io.BufferedReader in = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/tcp_wmem"))) {
        return in.readLine().trim().replaceAll("\\s+", " ");
      }
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  private static double minutesSince(long start) {
    return (System.nanoTime() - start) / 60e9;
  }

  private static JsonObject run(Options options, double minutes, long warmMs, SoakLoad.Settings settings,
                                Path jar, Path runDir) throws Exception {
    StringBuilder command = new StringBuilder("java -jar bench/target/bench.jar soak");
    options.values().forEach((k, v) -> command.append(" --").append(k).append(' ').append(v));
    JsonObject run = new JsonObject()
        .put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).atOffset(ZoneOffset.UTC).toString())
        .put("cores", Runtime.getRuntime().availableProcessors())
        .put("java", System.getProperty("java.version"))
        .put("command", command.toString())
        .put("minutes", minutes)
        .put("warmupMinutes", warmMs / 60_000.0)
        .put("conversations", settings.conversations())
        .put("completionsPerSecond", settings.completionsPerSecond())
        .put("forgedPerSecond", settings.forgedPerSecond())
        .put("slowReaders", settings.slowReaders())
        .put("launcherJar", jar.toString())
        .put("launcherJarModified", Files.getLastModifiedTime(jar).toInstant().truncatedTo(ChronoUnit.SECONDS).toString())
        .put("childJvmOptions", "-Xmx1g -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError")
        .put("logs", runDir.toString())
        .put("tcpWmem", tcpWmem());
    if (minutes - warmMs / 60_000.0 < 4) {
      run.put("note", "under 4 minutes after the warm-up, the slopes and changes are mostly noise: this run shows that "
          + "the soak works, not how the processes behave over time. Run 10 minutes or more for the figures.");
    }
    return run;
  }
}
