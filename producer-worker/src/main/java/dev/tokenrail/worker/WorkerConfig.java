package dev.tokenrail.worker;

import dev.tokenrail.protocol.StreamEvent;
import dev.tokenrail.runtime.Env;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.worker.model.ModelRetry;
import dev.tokenrail.worker.model.ModelSettings;
import java.time.Duration;
import java.util.Map;

/**
 * Everything a worker needs, read once in {@code main} (or built by a test).
 *
 * @param instances                 worker verticles per JVM; each is one member of the worker group
 * @param maxConcurrentGenerations  per verticle; beyond it the verticle pauses consumption
 * @param idleTimeout               a generation with no token for this long ends with {@code timeout}
 * @param maxGenerationTime         and so does one that runs longer than this
 * @param drainTimeout              on shutdown, how long running generations may take to finish
 * @param retry                     retries of model calls that fail before their first token
 * @param chat                      memory window and tools
 * @param tokensPerRecord           the most tokens of an answer one events record carries when they pile up
 *                                  (1: a record a token, as before runs existed)
 */
public record WorkerConfig(KafkaSettings kafka, ModelSettings model, int instances, int maxConcurrentGenerations,
                           Duration idleTimeout, Duration maxGenerationTime, Duration drainTimeout, ModelRetry retry,
                           ChatSettings chat, int tokensPerRecord) {

  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_MAX_GENERATION_TIME = Duration.ofMinutes(30);
  public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);
  /**
   * Up to 64 tokens a record, when they pile up: past a few dozen the per-record cost is already spread thin, and a
   * gateway's catch-up re-reads at most a record's tokens that a client already has (decisions.md).
   */
  public static final int DEFAULT_TOKENS_PER_RECORD = 64;

  /** The defaults, with a given cluster, model and concurrency. */
  public static WorkerConfig of(KafkaSettings kafka, ModelSettings model, int maxConcurrentGenerations) {
    return new WorkerConfig(kafka, model, 1, maxConcurrentGenerations, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_GENERATION_TIME,
        DEFAULT_DRAIN_TIMEOUT, ModelRetry.DEFAULT, ChatSettings.DEFAULT, DEFAULT_TOKENS_PER_RECORD);
  }

  public WorkerConfig withIdleTimeout(Duration idle) {
    return new WorkerConfig(kafka, model, instances, maxConcurrentGenerations, idle, maxGenerationTime, drainTimeout, retry, chat,
        tokensPerRecord);
  }

  public WorkerConfig withDrainTimeout(Duration drain) {
    return new WorkerConfig(kafka, model, instances, maxConcurrentGenerations, idleTimeout, maxGenerationTime, drain, retry, chat,
        tokensPerRecord);
  }

  public WorkerConfig withChat(ChatSettings settings) {
    return new WorkerConfig(kafka, model, instances, maxConcurrentGenerations, idleTimeout, maxGenerationTime, drainTimeout,
        retry, settings, tokensPerRecord);
  }

  public WorkerConfig withTokensPerRecord(int tokens) {
    return new WorkerConfig(kafka, model, instances, maxConcurrentGenerations, idleTimeout, maxGenerationTime, drainTimeout,
        retry, chat, tokens);
  }

  public static final String GROUP_ID = "tokenrail-workers";

  /**
   * 1,024 generations per worker verticle, whatever the cores: a generation mostly waits on the model, so CPU does
   * not bound it; a streaming provider call holds one thread of the HTTP client (ProviderHttpClient) and a
   * connection, and the prompt and answer in memory — a thousand of those is a fair default, and the provider's
   * own limits usually come first. The cap was 256 a core (512 here), and of 1,000 messages posted at once half
   * waited a whole answer for a slot: {@code bench.jar --quick}, POST → first token p99 6.7 s; with room for all
   * of them, 0.9–2.2 s (performance.md). It guards memory and threads; it is not a throttle.
   */
  public static int defaultMaxConcurrentGenerations() {
    return 1_024;
  }

  public static WorkerConfig fromEnv(Env env, String defaultBootstrap) {
    return new WorkerConfig(
        KafkaSettings.fromEnv(env, defaultBootstrap),
        ModelSettings.fromEnv(env),
        env.intValue("TOKENRAIL_WORKER_INSTANCES", 1, 1, 64),
        env.intValue("TOKENRAIL_MAX_CONCURRENT_GENERATIONS", defaultMaxConcurrentGenerations(), 1, 100_000),
        Duration.ofSeconds(env.intValue("TOKENRAIL_IDLE_TIMEOUT_SECONDS", (int) DEFAULT_IDLE_TIMEOUT.toSeconds(), 1, 86_400)),
        Duration.ofSeconds(env.intValue("TOKENRAIL_MAX_GENERATION_SECONDS",
            (int) DEFAULT_MAX_GENERATION_TIME.toSeconds(), 1, 7 * 86_400)),
        Duration.ofSeconds(env.intValue("TOKENRAIL_DRAIN_TIMEOUT_SECONDS", (int) DEFAULT_DRAIN_TIMEOUT.toSeconds(), 0, 3_600)),
        new ModelRetry(env.intValue("TOKENRAIL_MODEL_RETRIES", ModelRetry.DEFAULT.maxRetries(), 0, 20),
            ModelRetry.DEFAULT.baseMillis(), ModelRetry.DEFAULT.capMillis()),
        ChatSettings.fromEnv(env),
        env.intValue("TOKENRAIL_TOKENS_PER_RECORD", DEFAULT_TOKENS_PER_RECORD, 1, StreamEvent.Tokens.MAX_TOKENS));
  }

  /** The settings of a worker's member of {@value #GROUP_ID}. */
  Map<String, String> consumerConfig(String instanceId) {
    Map<String, String> c = kafka.consumerConfig(instanceId);
    c.put("group.id", WorkerConfig.GROUP_ID);
    // The classic group protocol with cooperative rebalancing: adding or removing a worker moves only the
    // partitions that change owner, and nobody else stops. Kafka 4's consumer protocol (KIP-848) would do
    // the same broker-side, but through vertx-kafka-client it delivered requests 250-950 ms late (measured
    // accepted -> start: 24-38 ms classic, 266-940 ms consumer), most of the time to first token.
    c.put("group.protocol", "classic");
    c.put("partition.assignment.strategy", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    // A dead worker's partitions move after 10 s without a heartbeat (Kafka's default is 45 s).
    c.put("session.timeout.ms", "10000");
    c.put("heartbeat.interval.ms", "3000");
    // A new group starts from the oldest request: nothing accepted before the first worker started is lost.
    c.put("auto.offset.reset", "earliest");
    // The broker answers a waiting fetch as soon as a request arrives (fetch.min.bytes 1, pinned here so that client
    // properties can't make every message wait), so the wait adds no latency to a message (bench.jar burst
    // --messages 1 --rounds 101: the client's 202 -> the worker's start p50 1-2 ms, p99 10-12 ms with 10 ms and with
    // 500 ms). It bounds what a partition resumed while others stay fetched (a task not ready yet, at start or after
    // a rebalance) waits for the fetch already out, and it is what an idle worker costs: at 10 ms, 100 empty fetches
    // a second took 7 % of a core in the worker and 10 % in the broker. 100 ms is ten times fewer.
    c.put("fetch.min.bytes", "1");
    c.put("fetch.max.wait.ms", "100");
    return c;
  }}
