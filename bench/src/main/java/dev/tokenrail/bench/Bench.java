package dev.tokenrail.bench;

import dev.tokenrail.runtime.KafkaSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark. Without a scenario it runs all of it ({@link FullBenchmark}) and writes
 * {@code bench/results/}; {@code --quick} runs the same with smaller sizes, in a few minutes. Each
 * starts an embedded broker, a worker and a gateway with the demo model in this JVM.
 *
 * <pre>
 * java -jar bench/target/bench.jar [--quick] [--streams 1000] [--tokens 1500] [--throughput-tokens 2000]
 *                                            [--connections 15000] [--kafka-samples 10000] [--out bench/results]
 * java -jar bench/target/bench.jar latency [--conversations 100] [--tokens 500] [--tokens-per-second 50]
 *                                            [--warmup-tokens 300] [--linger-ms 5] [--sse-write-queue-bytes 16384]
 * java -jar bench/target/bench.jar replay  [--tokens 100000]     catch-up speed to one client
 * java -jar bench/target/bench.jar stalled [--clients 200]       memory per stalled client
 * java -jar bench/target/bench.jar cancel  [--cancels 50]        POST /cancel -> cancelled
 * java -jar bench/target/bench.jar throughput [--streams 1000] [--tokens 300] [--baseline true]
 * java -jar bench/target/bench.jar e2e     [--streams 100] [--tokens 3000] [--tokens-per-second 2000] [--apart false]
 *                                            [--tokens-per-record 64] (the worker's, with --apart true)
 *                                            the whole pipeline, worker included, beside the relay alone; with
 *                                            --apart true in child JVMs, with CPU time a token per process
 * java -jar bench/target/bench.jar nchan   [--streams 1000] [--tokens 300] [--subscribers 1000] [--idle 10000]
 *                                            Tokenrail beside nginx + Nchan: unicast, fan-out, memory a stream
 * java -jar bench/target/bench.jar restore [--turns 100000] [--conversations 10000]   memory restore speed
 * java -jar bench/target/bench.jar soak    [--minutes 10] [--conversations 300] [--completions-per-second 3]
 *                                            [--forged-per-second 2] [--slow-readers 5] [--out bench/results]
 *                                            [--jar launcher/target/tokenrail.jar]    what grows over a realistic mix
 * java -jar bench/target/bench.jar burst   [--messages 1000] [--tokens 50] [--rounds 3] [--apart false]
 *                                            messages posted at once: where each one's first token's time went
 * java -jar bench/target/bench.jar lookups [--forged 50] [--rounds 40]   a resume's latency beside forged lookups
 * </pre>
 */
public final class Bench {

  private Bench() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].startsWith("--")) { // the whole benchmark
      boolean quick = args.length > 0 && args[0].equals("--quick");
      String[] rest = java.util.Arrays.copyOfRange(args, quick ? 1 : 0, args.length);
      FullBenchmark.run(quick, parse(rest), "java -jar bench/target/bench.jar " + String.join(" ", args));
      System.exit(0); // the load generator's and the stack's non-daemon threads
    }
    String scenario = args[0];
    Options options = parse(java.util.Arrays.copyOfRange(args, 1, args.length));
    switch (scenario) {
      case "latency" -> latency(options);
      case "replay" -> ReplayScenario.run(options);
      case "stalled" -> StalledClientsScenario.run(options);
      case "cancel" -> CancelScenario.run(options);
      case "throughput" -> throughput(options);
      case "e2e" -> endToEnd(options);
      case "nchan" -> NchanScenario.run(options);
      case "restore" -> RestoreScenario.run(options);
      case "soak" -> SoakScenario.run(options);
      case "lookups" -> ForgedLookupsScenario.run(options);
      case "groups" -> GroupsScenario.run(options);
      case "idle" -> IdleStreamsScenario.run(options);
      case "burst" -> BurstScenario.run(options);
      default -> throw new IllegalArgumentException("usage: bench [--quick] | latency | replay | stalled | cancel | throughput | e2e | nchan | restore | soak | lookups | groups | idle");
    }
  }

  private static void latency(Options options) throws Exception {
    int conversations = options.integer("conversations", 100);
    int tokens = options.integer("tokens", 500);
    int tokensPerSecond = options.integer("tokens-per-second", 50);
    int warmupTokens = options.integer("warmup-tokens", 300);
    int lingerMs = options.integer("linger-ms", KafkaSettings.DEFAULT_LINGER_MS);
    int writeQueue = options.integer("sse-write-queue-bytes",
        dev.tokenrail.gateway.delivery.DeliverySettings.DEFAULT_SSE_WRITE_QUEUE_BYTES);
    try (BenchStack stack = BenchStack.start(lingerMs, tokensPerSecond, 200, writeQueue)) {
      Vertx load = Vertx.vertx();
      try {
        if (warmupTokens > 0) {
          // A cold JVM (broker, clients, gateway, JIT compilers on 2 cores) queues events for seconds;
          // the same load, unmeasured, first.
          System.out.println("Warm-up round (not measured):");
          run(load, stack.port(), "warmup-", conversations, warmupTokens, tokensPerSecond);
        }
        System.out.println("Measured round:");
        Result result = run(load, stack.port(), "bench-", conversations, tokens, tokensPerSecond);
        if (!result.complete()) {
          System.exit(2);
        }
      } finally {
        BenchStack.await(load.close());
      }
    }
  }

  /** Relay throughput alone, Kafka path then in-process baseline: for profiling. */
  private static void throughput(Options options) throws Exception {
    int streams = options.integer("streams", 1000);
    long tokens = options.longValue("tokens", 300);
    boolean baseline = options.flag("baseline", true);
    try (BenchStack stack = BenchStack.start(KafkaSettings.DEFAULT_LINGER_MS, 50, 200)) {
      Vertx load = Vertx.vertx();
      try {
        ThroughputScenario.viaKafka(stack, load, "tput", streams, tokens);
        if (baseline) {
          ThroughputScenario.inProcess(load, "tput-base", streams, tokens);
        }
      } finally {
        BenchStack.await(load.close());
      }
    }
    System.exit(0);
  }

  /**
   * End-to-end throughput (worker included), then the relay alone on the same stack, for comparison. With
   * {@code --apart true} Tokenrail runs as three child JVMs of the launcher jar (broker, worker, gateway) and this
   * JVM is only the clients: the figures are Tokenrail's, and each process's CPU time per token is read from
   * {@code /proc} — what a token costs the worker, the broker and the gateway.
   */
  private static void endToEnd(Options options) throws Exception {
    int streams = options.integer("streams", 100);
    long tokens = options.longValue("tokens", 3000);
    int tokensPerSecond = options.integer("tokens-per-second", 2000);
    boolean apart = options.flag("apart", false);
    if (apart) {
      Path jar = options.jar();
      int tokensPerRecord = options.integer("tokens-per-record",
          dev.tokenrail.worker.WorkerConfig.DEFAULT_TOKENS_PER_RECORD);
      ThroughputScenario.Apart e2e = ThroughputScenario.endToEndApart(jar, streams, tokens, tokensPerSecond, tokensPerRecord);
      System.out.printf("end to end %,.0f tokens/s (%d streams x %,d tokens, processes apart)%n",
          e2e.tokensPerSecond(), streams, tokens);
      e2e.cpuMicrosPerToken().forEach((name, micros) -> System.out.printf("  %-8s %5.1f us a token%n", name, micros));
      System.exit(0);
    }
    try (BenchStack stack = BenchStack.start(KafkaSettings.DEFAULT_LINGER_MS, tokensPerSecond, 0)) {
      Vertx load = Vertx.vertx();
      try {
        ThroughputScenario.endToEnd(stack.port(), load, "e2e-warmup", streams, Math.max(100, tokens / 10));
        ThroughputScenario.Result e2e = ThroughputScenario.endToEnd(stack.port(), load, "e2e", streams, tokens);
        ThroughputScenario.Result relay = ThroughputScenario.viaKafka(stack, load, "relay", streams, tokens);
        System.out.printf("end to end %,.0f tokens/s; relay alone %,.0f tokens/s; ratio %.2f%n",
            e2e.tokensPerSecond(), relay.tokensPerSecond(), e2e.tokensPerSecond() / relay.tokensPerSecond());
      } finally {
        BenchStack.await(load.close());
      }
    }
    System.exit(0);
  }

  record Result(boolean complete) {
  }

  private static Result run(Vertx load, int port, String prefix, int conversations, int tokens, int tokensPerSecond)
      throws Exception {
    HttpClient http = load.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(conversations + 16));
    LatencyHistogram latencies = new LatencyHistogram();
    List<StreamClient> clients = new ArrayList<>();
    for (int i = 0; i < conversations; i++) {
      clients.add(new StreamClient(prefix + i, latencies));
    }
    await(Future.all(clients.stream().map(c -> c.connect(http, port)).toList()));
    System.out.printf("%d SSE clients connected; posting %d messages of %d tokens at %d tokens/s each%n",
        conversations, conversations, tokens, tokensPerSecond);

    long started = System.nanoTime();
    HttpClient posts = load.createHttpClient(new PoolOptions().setHttp1MaxSize(16));
    await(Future.all(java.util.stream.IntStream.range(0, conversations)
        .mapToObj(i -> post(posts, port, prefix + i, "#tokens=" + tokens + " benchmark " + i)).toList()));

    Future<?> all = Future.all(clients.stream().map(StreamClient::finished).toList());
    long expectedSeconds = tokens / Math.max(1, tokensPerSecond) + 1;
    while (!all.isComplete()) {
      long done = clients.stream().filter(c -> c.finished().isComplete()).count();
      System.out.printf("  %5.1f s  tokens received %,d / %,d  answers done %d / %d%n",
          (System.nanoTime() - started) / 1e9, latencies.count(), (long) conversations * tokens, done, conversations);
      try {
        all.toCompletionStage().toCompletableFuture().get(Math.max(1, expectedSeconds / 10), TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        if ((System.nanoTime() - started) / 1e9 > expectedSeconds * 3 + 60) {
          throw new IllegalStateException("answers did not finish in time");
        }
      }
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    long received = clients.stream().mapToLong(StreamClient::tokens).sum();
    List<String> failures = clients.stream().map(StreamClient::failure).filter(f -> f != null).toList();

    System.out.printf("%nResult: %d conversations x %d tokens at %d tokens/s (demo model), %.1f s%n",
        conversations, tokens, tokensPerSecond, seconds);
    System.out.printf("  tokens received: %,d of %,d expected; incomplete or out-of-order answers: %d%n",
        received, (long) conversations * tokens, failures.size());
    System.out.printf("  latency (SSE receive - event ts), ms: p50 %d  p99 %d  p99.9 %d  max %d%n",
        latencies.percentile(0.50), latencies.percentile(0.99), latencies.percentile(0.999), latencies.percentile(1.0));
    failures.stream().limit(10).forEach(f -> System.out.println("  FAILED " + f));
    return new Result(failures.isEmpty() && received == (long) conversations * tokens);
  }

  /** Posts one message; completes with its message id once the gateway answered 202. */
  static Future<String> post(HttpClient http, int port, String conversation, String text) {
    return post(http, port, conversation, text, sentAt -> { });
  }

  /** As above; {@code sending} is told when the request has its connection and goes out (epoch ms). */
  static Future<String> post(HttpClient http, int port, String conversation, String text,
                             java.util.function.LongConsumer sending) {
    return http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("localhost").setPort(port)
            .setURI("/api/conversations/" + conversation + "/messages").putHeader("Content-Type", "application/json"))
        .compose(req -> {
          sending.accept(System.currentTimeMillis());
          return req.send(new JsonObject().put("text", text).encode());
        })
        .compose(res -> res.statusCode() == 202 ? res.body() : Future.failedFuture("POST got " + res.statusCode()))
        .map(body -> body.toJsonObject().getString("messageId"));
  }

  static Options parse(String[] args) {
    Map<String, String> options = new java.util.HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("usage: bench [--quick|latency|replay|stalled|cancel] [--option value]...");
      }
      options.put(args[i].substring(2), args[++i]);
    }
    return new Options(options);
  }

  private static <T> T await(Future<T> future) throws Exception {
    return BenchStack.await(future);
  }
}
