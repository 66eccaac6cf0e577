package dev.tokenrail.runtime;

import dev.tokenrail.protocol.Topics;
import java.util.HashMap;
import java.util.Map;

/**
 * How a Tokenrail process reaches Kafka, and the client settings every process shares.
 *
 * @param bootstrapServers  the cluster
 * @param topics            topic names
 * @param partitions        partition count used when Tokenrail creates its topics
 * @param producerLingerMs  see {@link #producerConfig}
 * @param clientProperties  Kafka client properties every client of the process takes (producers, consumers,
 *                          admin), under Tokenrail's own per-client choices
 * @param topicPolicy       whether the process creates its topics or only checks them, and their replication
 */
public record KafkaSettings(String bootstrapServers, Topics topics, int partitions, int producerLingerMs,
                            Map<String, String> clientProperties, TopicPolicy topicPolicy) {

  public KafkaSettings {
    clientProperties = Map.copyOf(clientProperties);
  }

  public KafkaSettings(String bootstrapServers, Topics topics, int partitions, int producerLingerMs) {
    this(bootstrapServers, topics, partitions, producerLingerMs, Map.of(), TopicPolicy.DEFAULT);
  }

  /** The same settings, with one more client property for every client. */
  public KafkaSettings withClientProperty(String name, String value) {
    Map<String, String> properties = new HashMap<>(clientProperties);
    properties.put(name, value);
    return new KafkaSettings(bootstrapServers, topics, partitions, producerLingerMs, properties, topicPolicy);
  }

  public KafkaSettings withTopicPolicy(TopicPolicy policy) {
    return new KafkaSettings(bootstrapServers, topics, partitions, producerLingerMs, clientProperties, policy);
  }

  /** Names the client properties but never shows their values (they may be passwords). */
  @Override
  public String toString() {
    return "KafkaSettings[bootstrapServers=" + bootstrapServers + ", topics=" + topics + ", partitions=" + partitions
        + ", producerLingerMs=" + producerLingerMs + ", clientProperties=" + new java.util.TreeSet<>(clientProperties.keySet())
        + ", topicPolicy=" + topicPolicy + "]";
  }

  public static final int DEFAULT_PARTITIONS = 12;
  /** Chosen on purpose, from measurements; see {@link #producerConfig}. */
  public static final int DEFAULT_LINGER_MS = 5;

  /**
   * How long a producer's or consumer's request waits for a broker's answer (Kafka's default: 30 s) — unless
   * the client properties say otherwise. A broker whose host or network is gone answers nothing and resets
   * nothing, so this is how long a client keeps waiting on it before it asks the partition's new leader:
   * with 30 s, the requests leader's loss stalled a new answer 31 s (ThreeBrokersTest). Tokenrail's consumers
   * fetch with {@code fetch.max.wait.ms} of 100 ms or less, so 10 s is a hundred times a slow answer; an
   * idempotent producer's retry after it is safe (and a write waiting on a dead follower still in the ISR
   * waits until the controller fences that broker, {@code broker.session.timeout.ms}, whatever this is).
   */
  static final String DEAD_BROKER_TIMEOUT_MS = "10000";

  /** Environment variables named so set one client property each: {@code …_SASL_MECHANISM} → {@code sasl.mechanism}. */
  public static final String CLIENT_PROPERTY_PREFIX = "TOKENRAIL_KAFKA_CLIENT_";

  /**
   * {@code KAFKA_BOOTSTRAP_SERVERS}, {@code TOKENRAIL_TOPIC_PREFIX}, {@code TOKENRAIL_PARTITIONS},
   * {@code TOKENRAIL_PRODUCER_LINGER_MS}, the {@link TopicPolicy}; and the client properties every Kafka client of the process takes:
   * those of the file {@code TOKENRAIL_KAFKA_PROPERTIES_FILE} (a Kafka client properties file, as Kafka's own
   * tools take with {@code --command-config}), then each {@code TOKENRAIL_KAFKA_CLIENT_<NAME>}, which wins.
   */
  public static KafkaSettings fromEnv(Env env, String defaultBootstrap) {
    Map<String, String> client = new HashMap<>();
    env.optional("TOKENRAIL_KAFKA_PROPERTIES_FILE").ifPresent(file -> client.putAll(readProperties(file)));
    env.vars().forEach((name, value) -> {
      if (name.startsWith(CLIENT_PROPERTY_PREFIX) && name.length() > CLIENT_PROPERTY_PREFIX.length()) {
        client.put(name.substring(CLIENT_PROPERTY_PREFIX.length()).toLowerCase(java.util.Locale.ROOT).replace('_', '.'),
            value);
      }
    });
    client.forEach(KafkaSettings::registerSecret);
    return new KafkaSettings(
        env.string("KAFKA_BOOTSTRAP_SERVERS", defaultBootstrap),
        new Topics(env.string("TOKENRAIL_TOPIC_PREFIX", Topics.DEFAULT_PREFIX)),
        env.intValue("TOKENRAIL_PARTITIONS", DEFAULT_PARTITIONS, 1, 10_000),
        env.intValue("TOKENRAIL_PRODUCER_LINGER_MS", DEFAULT_LINGER_MS, 0, 1_000),
        client, TopicPolicy.fromEnv(env));
  }

  /**
   * Passwords, keys and JAAS lines are taken out of anything this process logs or answers ({@link Redaction}),
   * should a client's error message ever quote one; the JAAS line's password also on its own.
   */
  private static void registerSecret(String property, String value) {
    if (property.contains("password") || property.contains("passphrase") || property.contains("jaas")
        || property.contains("secret")
        || property.endsWith(".key") || property.endsWith(".keystore.key")) {
      Redaction.register(value);
      java.util.regex.Matcher password = JAAS_PASSWORD.matcher(value);
      while (password.find()) {
        for (int g = 1; g <= 3; g++) {
          if (password.group(g) != null) {
            Redaction.register(password.group(g));
          }
        }
      }
    }
  }

  private static final java.util.regex.Pattern JAAS_PASSWORD =
      java.util.regex.Pattern.compile(
      "(?:password|clientSecret)\\s*=\\s*(?:\"([^\"]*)\"|'([^']*)'|([^\\s;\"']+))");

  /** A properties file's entries; a file that can't be read is a configuration error naming it (not its contents). */
  private static Map<String, String> readProperties(String file) {
    java.util.Properties properties = new java.util.Properties();
    try (java.io.Reader in = java.nio.file.Files.newBufferedReader(java.nio.file.Path.of(file),
        java.nio.charset.StandardCharsets.UTF_8)) {
      properties.load(in);
    } catch (java.io.IOException | RuntimeException e) {
      throw new IllegalArgumentException("TOKENRAIL_KAFKA_PROPERTIES_FILE " + file + " can't be read: "
          + e.getClass().getSimpleName());
    }
    Map<String, String> entries = new HashMap<>();
    properties.stringPropertyNames().forEach(name -> entries.put(name, properties.getProperty(name).trim()));
    return entries;
  }

  /**
   * Producer settings: idempotent with {@code acks=all}, so a retried send never duplicates or reorders a
   * conversation's events, and an acknowledged event survives a broker failover.
   *
   * <p>{@code linger.ms} is 5 by choice, not by inheritance of Kafka 4's default: measured on a 2-core
   * machine at 5,000 events/s, 5 ms gave lower latency than 1 or 0 ms (raw produce→consume p99 16 ms
   * against 34 and 44 ms), because one request per few records costs the broker and clients less CPU than
   * one per record, and CPU is what queues events there. At low load it adds at most 5 ms to a token —
   * invisible next to the 20 ms between tokens at 50 tokens/s. See docs/decisions.md.
   *
   * <p>No compression unless the client properties ask for it: lz4 allocated 64 KiB block buffers a batch, most of
   * the garbage a token made at low load, and saved no bytes on batches that small (docs/decisions.md).
   */
  public Map<String, String> producerConfig(String clientId) {
    Map<String, String> c = new HashMap<>(clientProperties);
    c.put("bootstrap.servers", bootstrapServers);
    c.put("client.id", clientId);
    c.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
    c.put("value.serializer", "io.vertx.kafka.client.serialization.BufferSerializer");
    c.put("enable.idempotence", "true");
    c.put("acks", "all");
    c.put("linger.ms", Integer.toString(producerLingerMs));
    c.putIfAbsent("compression.type", "none");
    c.putIfAbsent("request.timeout.ms", DEAD_BROKER_TIMEOUT_MS);
    return c;
  }

  /** Consumer settings shared by the worker group and the gateways' events readers. */
  public Map<String, String> consumerConfig(String clientId) {
    Map<String, String> c = new HashMap<>(clientProperties);
    c.put("bootstrap.servers", bootstrapServers);
    c.put("client.id", clientId);
    c.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
    c.put("value.deserializer", "io.vertx.kafka.client.serialization.BufferDeserializer");
    c.put("enable.auto.commit", "false");
    c.putIfAbsent("request.timeout.ms", DEAD_BROKER_TIMEOUT_MS);
    return c;
  }

  /** Admin settings: short timeouts, since admin calls answer readiness probes and start-up checks. */
  public Map<String, String> adminConfig() {
    Map<String, String> c = new HashMap<>(clientProperties);
    c.put("bootstrap.servers", bootstrapServers);
    c.put("request.timeout.ms", "3000");
    c.put("default.api.timeout.ms", "5000");
    return c;
  }
}
