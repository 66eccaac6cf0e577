package dev.tokenrail.bench;

import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.StreamEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Relay throughput with many concurrent streams: token events written to the events topic as fast as a
 * producer can (the worker and the model are not what is measured here) and relayed by the gateway to
 * one SSE client per conversation; beside it, the gateway's SSE writer fed in-process, no Kafka.
 */
final class ThroughputScenario {

  record Result(long tokens, double seconds) {
    double tokensPerSecond() {
      return tokens / seconds;
    }
  }

  private ThroughputScenario() {
  }

  /** Through Kafka and the gateway's events reader. */
  static Result viaKafka(BenchStack stack, Vertx load, String run, int streams, long perStream) throws Exception {
    return viaKafka(stack.port(), stack.kafka(), load, run, streams, perStream);
  }

  /** The relay of a gateway at {@code port} on the cluster {@code kafka} names (in this JVM or not). */
  static Result viaKafka(int port, KafkaSettings kafka, Vertx load, String run, int streams, long perStream)
      throws Exception {
    AtomicLong firstAt = new AtomicLong();
    AtomicLong lastAt = new AtomicLong();
    HttpClient http = client(load, streams);
    List<CountingClient> clients = connect(http, port, run, streams, perStream, firstAt, lastAt);
    Thread producer = new Thread(() -> produce(kafka, run, streams, perStream), "bench-producer");
    producer.start();
    Result result = await(clients, streams * perStream, firstAt, lastAt, "via Kafka");
    producer.join();
    BenchStack.await(http.shutdown(0, TimeUnit.SECONDS)); // SSE streams never end on their own
    return result;
  }

  /**
   * The whole pipeline: each stream's conversation gets one message asking for {@code perStream} tokens, which
   * the worker generates (the demo model, paced as the stack says) and publishes token by token, and the
   * gateway forwards — gateway → Kafka → worker → Kafka → gateway, beside {@link #viaKafka}'s relay alone.
   */
  static Result endToEnd(int port, Vertx load, String run, int streams, long perStream) throws Exception {
    AtomicLong firstAt = new AtomicLong();
    AtomicLong lastAt = new AtomicLong();
    HttpClient http = client(load, streams);
    List<CountingClient> clients = connect(http, port, run, streams, perStream, firstAt, lastAt);
    HttpClient posts = load.createHttpClient(new PoolOptions().setHttp1MaxSize(32));
    BenchStack.await(Future.all(java.util.stream.IntStream.range(0, streams)
        .mapToObj(i -> Bench.post(posts, port, run + "-" + i, "#tokens=" + perStream + " end to end " + i)).toList()));
    Result result = await(clients, streams * perStream, firstAt, lastAt, "end to end");
    BenchStack.await(http.shutdown(0, TimeUnit.SECONDS));
    BenchStack.await(posts.shutdown(0, TimeUnit.SECONDS));
    return result;
  }

  /**
   * Fan-out: {@code subscribers} clients follow one conversation, and {@code tokens} token events are written to
   * it as fast as the producer takes them; the result counts deliveries (every client's every token).
   */
  static Result fanout(int port, KafkaSettings kafka, Vertx load, String run, int subscribers, long tokens)
      throws Exception {
    AtomicLong firstAt = new AtomicLong();
    AtomicLong lastAt = new AtomicLong();
    HttpClient http = client(load, subscribers);
    List<CountingClient> clients = new ArrayList<>();
    for (int i = 0; i < subscribers; i++) {
      clients.add(new CountingClient(run + "-0", tokens, firstAt, lastAt));
    }
    BenchStack.await(Future.all(clients.stream().map(c -> c.connect(http, port)).toList()));
    Thread producer = new Thread(() -> produce(kafka, run, 1, tokens), "bench-producer");
    producer.start();
    Result result = await(clients, subscribers * tokens, firstAt, lastAt, "fan-out");
    producer.join();
    BenchStack.await(http.shutdown(0, TimeUnit.SECONDS));
    return result;
  }

  /** Clients of the streams {@code uris} (whose events each hold {@code pattern}), connected; for other servers. */
  static List<CountingClient> connect(HttpClient http, int port, List<String> uris, byte[] pattern, long perStream,
                                      AtomicLong firstAt, AtomicLong lastAt) throws Exception {
    List<CountingClient> clients = new ArrayList<>();
    for (String uri : uris) {
      clients.add(new CountingClient(uri, pattern, perStream, firstAt, lastAt));
    }
    BenchStack.await(Future.all(clients.stream().map(c -> c.connect(http, port)).toList()));
    return clients;
  }

  static HttpClient clients(Vertx load, int streams) {
    return client(load, streams);
  }

  static Result awaitAll(List<CountingClient> clients, long expected, AtomicLong firstAt, AtomicLong lastAt,
                         String label) throws Exception {
    return await(clients, expected, firstAt, lastAt, label);
  }

  /** End to end with the processes apart: tokens a second, and each process's CPU time a token (µs). */
  record Apart(double tokensPerSecond, java.util.Map<String, Double> cpuMicrosPerToken) {
  }

  /**
   * {@link #endToEnd} with Tokenrail as three child JVMs of the launcher jar (broker, worker, gateway) and this JVM
   * only the clients: the figures are Tokenrail's, and each process's CPU time comes from {@code /proc}.
   */
  static Apart endToEndApart(java.nio.file.Path jar, int streams, long tokens, int tokensPerSecond) throws Exception {
    return endToEndApart(jar, streams, tokens, tokensPerSecond, dev.tokenrail.worker.WorkerConfig.DEFAULT_TOKENS_PER_RECORD);
  }

  /** As above, with the worker's {@code TOKENRAIL_TOKENS_PER_RECORD} (1: a record a token, as before runs). */
  static Apart endToEndApart(java.nio.file.Path jar, int streams, long tokens, int tokensPerSecond, int tokensPerRecord)
      throws Exception {
    try (SoakProcesses processes = SoakProcesses.start(jar, true, java.util.Map.of(
        "TOKENRAIL_DEMO_TOKENS_PER_SECOND", Integer.toString(tokensPerSecond), "TOKENRAIL_DEMO_TTFT_MS", "0",
        "TOKENRAIL_TOKENS_PER_RECORD", Integer.toString(tokensPerRecord)))) {
      Vertx load = Vertx.vertx();
      try {
        endToEnd(processes.gatewayPort(), load, "e2e-warmup", streams, Math.max(100, tokens / 10));
        java.util.Map<String, Double> before = CpuTime.of(processes.children());
        Result e2e = endToEnd(processes.gatewayPort(), load, "e2e", streams, tokens);
        java.util.Map<String, Double> after = CpuTime.of(processes.children());
        java.util.Map<String, Double> micros = new java.util.LinkedHashMap<>();
        after.forEach((name, seconds) -> micros.put(name, (seconds - before.getOrDefault(name, 0.0)) * 1e6 / e2e.tokens()));
        return new Apart(e2e.tokensPerSecond(), micros);
      } finally {
        BenchStack.await(load.close());
      }
    }
  }

  /** The same SSE writer fed by {@link InProcessRelay} on an event loop of its own, as the gateway has. */
  static Result inProcess(Vertx load, String run, int streams, long perStream) throws Exception {
    Vertx server = Vertx.vertx();
    try {
      InProcessRelay relay = new InProcessRelay(streams, perStream);
      BenchStack.await(server.deployVerticle(relay));
      AtomicLong firstAt = new AtomicLong();
      AtomicLong lastAt = new AtomicLong();
      HttpClient http = client(load, streams);
      List<CountingClient> clients = connect(http, relay.port(), run, streams, perStream, firstAt, lastAt);
      Result result = await(clients, streams * perStream, firstAt, lastAt, "in-process");
      BenchStack.await(http.shutdown(0, TimeUnit.SECONDS));
      return result;
    } finally {
      BenchStack.await(server.close());
    }
  }

  private static HttpClient client(Vertx load, int streams) {
    return load.createHttpClient(new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(streams + 16));
  }

  private static List<CountingClient> connect(HttpClient http, int port, String run, int streams, long perStream,
                                              AtomicLong firstAt, AtomicLong lastAt) throws Exception {
    List<CountingClient> clients = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      clients.add(new CountingClient(run + "-" + i, perStream, firstAt, lastAt));
    }
    BenchStack.await(Future.all(clients.stream().map(c -> c.connect(http, port)).toList()));
    return clients;
  }

  private static Result await(List<CountingClient> clients, long expected, AtomicLong firstAt, AtomicLong lastAt,
                              String label) throws Exception {
    Future<?> all = Future.all(clients.stream().map(CountingClient::finished).toList());
    long started = System.nanoTime();
    while (!all.isComplete()) {
      long received = clients.stream().mapToLong(CountingClient::tokens).sum();
      Progress.line("throughput %-10s %,d / %,d tokens received", label, received, expected);
      try {
        all.toCompletionStage().toCompletableFuture().get(2, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        if (System.nanoTime() - started > 600e9) {
          throw new IllegalStateException(label + ": not every token arrived within 10 minutes");
        }
      }
    }
    long received = clients.stream().mapToLong(CountingClient::tokens).sum();
    double seconds = Math.max(1e-3, (lastAt.get() - firstAt.get()) / 1e9);
    Progress.done("throughput %-10s %,d tokens in %.1f s: %,.0f tokens/s", label, received, seconds, received / seconds);
    return new Result(received, seconds);
  }

  /** Token events of {@code streams} conversations, round-robin, as fast as the producer takes them. */
  static void produce(KafkaSettings kafka, String run, int streams, long perStream) {
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", kafka.bootstrapServers());
    config.put("acks", "all");
    config.put("enable.idempotence", "true");
    config.put("linger.ms", Integer.toString(kafka.producerLingerMs()));
    config.put("compression.type", System.getProperty("bench.compression", "lz4"));
    config.put("batch.size", Integer.toString(256 * 1024));
    config.put("key.serializer", StringSerializer.class.getName());
    config.put("value.serializer", ByteArraySerializer.class.getName());
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config)) {
      for (long seq = 1; seq <= perStream; seq++) {
        for (int i = 0; i < streams; i++) {
          String conversation = run + "-" + i;
          byte[] value = ProtocolCodec.encode(new StreamEvent.Token(conversation, "m", 1, seq, System.currentTimeMillis(),
              " token")).getBytes();
          producer.send(new ProducerRecord<>(kafka.topics().events(), ConversationIds.kafkaKey(conversation), value));
        }
      }
    }
  }
}
