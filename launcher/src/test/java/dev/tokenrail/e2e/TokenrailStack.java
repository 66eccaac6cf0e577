package dev.tokenrail.e2e;

import dev.tokenrail.gateway.GatewayConfig;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.launcher.Launcher;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.TopicSetup;
import dev.tokenrail.protocol.Topics;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Workers and gateways deployed by {@link Launcher#deploy}, as the launcher deploys them, on the shared broker, under a topic
 * prefix of their own. One per test class.
 */
final class TokenrailStack implements AutoCloseable {

  static final int PARTITIONS = 6;

  private final Vertx vertx;
  private final KafkaSettings kafka;
  private final List<GatewayVerticle> gateways;

  private TokenrailStack(Vertx vertx, KafkaSettings kafka, List<GatewayVerticle> gateways) {
    this.vertx = vertx;
    this.kafka = kafka;
    this.gateways = gateways;
  }

  static KafkaSettings freshTopics() {
    String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + ".";
    return new KafkaSettings(SharedKafka.bootstrapServers(), new Topics(prefix), PARTITIONS, KafkaSettings.DEFAULT_LINGER_MS);
  }

  static TokenrailStack start(ModelSettings model) {
    return start(model, 1);
  }

  /** One worker and {@code gatewayCount} gateways, each its own instance with its own events reader. */
  static TokenrailStack start(ModelSettings model, int gatewayCount) {
    // No drain on close: a test may leave an answer running (the drain has tests of its own).
    return start(kafka -> WorkerConfig.of(kafka, model, 1_000).withDrainTimeout(Duration.ZERO), gatewayCount);
  }

  /**
   * As {@link #start(ModelSettings)}, with a record for every token: for tests that count records or cut the log at
   * an event's offset, which tokens sharing a record (when they pile up, as on a busy machine) would make vary.
   */
  static TokenrailStack startWithRecordPerToken(ModelSettings model) {
    return start(kafka -> WorkerConfig.of(kafka, model, 1_000).withDrainTimeout(Duration.ZERO).withTokensPerRecord(1), 1);
  }

  /** Gateways only: the test deploys its workers itself. */
  static TokenrailStack withoutWorker(int gatewayCount) {
    return start((java.util.function.Function<KafkaSettings, WorkerConfig>) null, gatewayCount);
  }

  /** A worker configured by the test (when not null) and {@code gatewayCount} gateways. */
  static TokenrailStack start(java.util.function.Function<KafkaSettings, WorkerConfig> worker, int gatewayCount) {
    return start(freshTopics(), worker, gatewayCount);
  }

  /** On topics and client settings of the test's choosing (fresh topics, see {@link #freshTopics}). */
  static TokenrailStack start(KafkaSettings kafka, java.util.function.Function<KafkaSettings, WorkerConfig> worker,
                              int gatewayCount) {
    TopicSetup.ensureTopics(kafka);
    Vertx vertx = Vertx.vertx();
    List<GatewayVerticle> gateways = await(Launcher.deploy(vertx, Optional.ofNullable(worker).map(w -> w.apply(kafka)),
        Collections.nCopies(gatewayCount, gatewayConfig(kafka))));
    return new TokenrailStack(vertx, kafka, gateways);
  }

  static GatewayConfig gatewayConfig(KafkaSettings kafka) {
    return GatewayConfig.defaults(kafka, 0);
  }

  static GatewayVerticle startGateway(Vertx vertx, GatewayConfig config) {
    return await(Launcher.deploy(vertx, Optional.empty(), List.of(config))).get(0);
  }

  String baseUrl() {
    return baseUrl(0);
  }

  String baseUrl(int gateway) {
    return "http://localhost:" + gateways.get(gateway).actualPort();
  }

  GatewayVerticle gateway(int index) {
    return gateways.get(index);
  }

  Vertx vertx() {
    return vertx;
  }

  KafkaSettings kafka() {
    return kafka;
  }

  @Override
  public void close() {
    await(vertx.close());
  }

  static <T> T await(io.vertx.core.Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
