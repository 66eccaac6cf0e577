package dev.tokenrail.bench;

import dev.tokenrail.runtime.KafkaSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Many messages posted at once, and where each one's time to first token went, stage by stage: POST → the worker's
 * {@code start} (the gateway stored the request, the worker consumed and admitted it), start → the model's first
 * token (less the demo model's own wait), that token → the client; beside them, POST → 202 and the start event →
 * the client, which are not on the first token's path.
 * Rounds after the first are measured (the first warms the JIT). With {@code --apart true} the broker, worker and
 * gateway are child JVMs of the launcher jar and this JVM is only the clients.
 *
 * <pre>
 * java -jar bench/target/bench.jar burst [--messages 1000] [--tokens 50] [--tokens-per-second 50] [--rounds 3]
 *                                        [--apart false] [--jar launcher/target/tokenrail.jar] [--linger-ms 5]
 * </pre>
 */
final class BurstScenario {

  /** The demo model's time to first token, as the rest of the benchmark has it; subtracted from the model stage. */
  static final int MODEL_TTFT_MS = 200;
  /** The first three add up to the time to first token ({@link StreamClient#firstTokenStages}). */
  private static final String[] STAGES = {"POST -> worker start", "start -> first token - model's",
      "first token -> client", "(POST -> 202)", "(start event -> client)"};

  private BurstScenario() {
  }

  static void run(Options options) throws Exception {
    int messages = options.integer("messages", 1000);
    int tokens = options.integer("tokens", 50);
    int tokensPerSecond = options.integer("tokens-per-second", 50);
    int rounds = options.integer("rounds", 3);
    boolean apart = options.flag("apart", false);
    if (apart) {
      Path jar = options.jar();
      try (SoakProcesses processes = SoakProcesses.start(jar, true, Map.of(
          "TOKENRAIL_DEMO_TOKENS_PER_SECOND", Integer.toString(tokensPerSecond),
          "TOKENRAIL_DEMO_TTFT_MS", Integer.toString(MODEL_TTFT_MS)))) {
        rounds(processes.gatewayPort(), messages, tokens, rounds, processes);
      }
    } else {
      int lingerMs = options.integer("linger-ms", KafkaSettings.DEFAULT_LINGER_MS);
      try (BenchStack stack = BenchStack.start(lingerMs, tokensPerSecond, MODEL_TTFT_MS)) {
        rounds(stack.port(), messages, tokens, rounds, null);
      }
    }
    System.exit(0);
  }

  /** @param processes the stack's processes, whose CPU time a message is reported; null when it runs in this JVM */
  private static void rounds(int port, int messages, int tokens, int rounds, SoakProcesses processes) throws Exception {
    Vertx load = Vertx.vertx();
    Stages measured = Stages.empty(MODEL_TTFT_MS);
    boolean eachRound = messages >= 10; // with a message or two a round, only the sum of the rounds says anything
    try {
      for (int r = 0; r < rounds; r++) {
        String label = r == 0 ? "warm-up" : "round " + r;
        CpuPhases cpu = new CpuPhases(processes);
        Stages stages = Stages.empty(MODEL_TTFT_MS);
        burst(load, port, "burst" + r + "-" + System.nanoTime() + "-", messages, tokens, cpu,
            r == 0 ? List.of(stages) : List.of(stages, measured));
        if (eachRound) {
          System.out.printf("%s: %d messages posted at once, %d tokens each%n%s", label, messages, tokens, stages.table());
          System.out.print(cpu.table(messages));
        }
      }
      System.out.printf("rounds 1-%d: %d messages posted at once, %d tokens each%n%s", rounds - 1, messages, tokens,
          measured.table());
    } finally {
      BenchStack.await(load.close());
    }
  }

  /** The stages of every message's first token, in one histogram each, and the whole minus the model's own time. */
  record Stages(int modelTtftMs, LatencyHistogram[] stage, LatencyHistogram overhead, LatencyHistogram tokens) {

    /** @param modelTtftMs the model's own time to first token, left out of the figures */
    static Stages empty(int modelTtftMs) {
      LatencyHistogram[] stage = new LatencyHistogram[STAGES.length];
      for (int i = 0; i < stage.length; i++) {
        stage[i] = new LatencyHistogram();
      }
      return new Stages(modelTtftMs, stage, new LatencyHistogram(), new LatencyHistogram());
    }

    /** Records a client's stages; one whose answer had no token has none. */
    void record(StreamClient c) {
      long[] s = c.firstTokenStages();
      if (s == null) {
        return;
      }
      for (int i = 0; i < s.length; i++) {
        stage[i].record(Math.max(0, i == 1 ? s[i] - modelTtftMs : s[i]));
      }
      overhead.record(Math.max(0, c.timeToFirstTokenMillis() - modelTtftMs));
    }

    String table() {
      StringBuilder s = new StringBuilder();
      for (int i = 0; i < STAGES.length; i++) {
        s.append(String.format("  %-30s p50 %5.0f ms  p99 %5.0f ms  max %5.0f ms%n", STAGES[i],
            stage[i].percentileMillis(0.5), stage[i].percentileMillis(0.99), stage[i].percentileMillis(1.0)));
      }
      s.append(String.format("  %-30s p50 %5.0f ms  p99 %5.0f ms  max %5.0f ms%n", "POST -> first token - model's",
          overhead.percentileMillis(0.5), overhead.percentileMillis(0.99), overhead.percentileMillis(1.0)));
      if (tokens.count() > 0) {
        s.append(String.format("  %-30s p50 %5.0f ms  p99 %5.0f ms  max %5.0f ms  (%,d tokens)%n", "every token: ts -> client",
            tokens.percentileMillis(0.5), tokens.percentileMillis(0.99), tokens.percentileMillis(1.0), tokens.count()));
      }
      return s.toString();
    }

    /** POST → first token less the model's, and each stage, as p50 and p99 in ms, for the results file. */
    JsonObject json() {
      JsonObject stages = new JsonObject();
      for (int i = 0; i < STAGES.length; i++) {
        stages.put(STAGES[i], new JsonObject().put("p50Ms", stage[i].percentileMillis(0.5))
            .put("p99Ms", stage[i].percentileMillis(0.99)));
      }
      return new JsonObject().put("p50Ms", overhead.percentileMillis(0.5)).put("p99Ms", overhead.percentileMillis(0.99))
          .put("stages", stages);
    }
  }

  /**
   * Connects a client for each message, posts them all at once, waits until every answer is whole, and records each
   * message's stages into {@code into}.
   */
  static void burst(Vertx load, int port, String prefix, int messages, int tokens, CpuPhases cpu, List<Stages> into)
      throws Exception {
    HttpClient http = load.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(messages + 16));
    HttpClient posts = load.createHttpClient(new PoolOptions().setHttp1MaxSize(messages + 16));
    List<StreamClient> clients = new ArrayList<>();
    LatencyHistogram tokenLatencies = new LatencyHistogram();
    for (int i = 0; i < messages; i++) {
      clients.add(new StreamClient(prefix + i, tokenLatencies));
    }
    try {
      BenchStack.await(Future.all(clients.stream().map(c -> c.connect(http, port)).toList()));
      cpu.mark("clients connect");
      BenchStack.await(Future.all(IntStream.range(0, messages).mapToObj(i -> {
        StreamClient c = clients.get(i);
        return Bench.post(posts, port, prefix + i, "#tokens=" + tokens + " burst " + i, c::posted)
            .onSuccess(id -> c.accepted(System.currentTimeMillis()));
      }).toList()));
      Future<?> all = Future.all(clients.stream().map(StreamClient::finished).toList());
      all.toCompletionStage().toCompletableFuture().get(tokens / 10 + 120, TimeUnit.SECONDS);
      cpu.mark("messages answered");
      List<String> failures = clients.stream().map(StreamClient::failure).filter(f -> f != null).toList();
      if (!failures.isEmpty()) {
        throw new IllegalStateException(failures.size() + " answers incomplete, first: " + failures.get(0));
      }
      for (StreamClient c : clients) {
        into.forEach(stages -> stages.record(c));
      }
      into.forEach(stages -> stages.tokens().add(tokenLatencies));
    } finally {
      BenchStack.await(http.shutdown(0, TimeUnit.SECONDS)); // SSE streams never end on their own
      BenchStack.await(posts.shutdown(0, TimeUnit.SECONDS));
      cpu.mark("clients close");
    }
    if (messages >= 10) {
      Thread.sleep(2_000); // the stack alone, nothing asked of it: what it spends on its own
      cpu.mark("2 s idle");
    }
  }

  /** CPU time of the stack's processes and of this JVM, phase by phase. */
  static final class CpuPhases {
    private final SoakProcesses processes;
    private final Map<String, Map<String, Double>> phases = new java.util.LinkedHashMap<>();
    private Map<String, Double> last;

    /** @param processes the stack's processes; null when the stack runs in this JVM, with the clients */
    CpuPhases(SoakProcesses processes) throws java.io.IOException {
      this.processes = processes;
      this.last = now();
    }

    void mark(String phase) throws java.io.IOException {
      Map<String, Double> now = now();
      Map<String, Double> spent = new java.util.LinkedHashMap<>();
      now.forEach((name, seconds) -> spent.put(name, seconds - last.getOrDefault(name, 0.0)));
      phases.put(phase, spent);
      last = now;
    }

    String table(int messages) {
      StringBuilder s = new StringBuilder("  CPU a message, us:");
      phases.forEach((phase, spent) -> {
        s.append(String.format("%n    %-18s", phase));
        spent.forEach((name, seconds) -> s.append(String.format(" %s %5.0f", name, seconds * 1e6 / messages)));
      });
      return s.append('\n').toString();
    }

    private Map<String, Double> now() throws java.io.IOException {
      Map<String, Double> now = new java.util.LinkedHashMap<>(processes == null ? Map.of() : CpuTime.of(processes.children()));
      now.put(processes == null ? "this JVM" : "clients", CpuTime.of(ProcessHandle.current().pid()));
      return now;
    }
  }
}
