package dev.tokenrail.e2e;

import dev.tokenrail.gateway.GatewayConfig;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.TopicSetup;
import dev.tokenrail.protocol.Topics;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.WorkerVerticle;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Workers and a gateway deployed exactly as the launcher deploys them, on the shared broker, under a topic
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

  /** A worker configured by the test (when not null) and {@code gatewayCount} gateways. */
  static TokenrailStack start(java.util.function.Function<KafkaSettings, WorkerConfig> worker, int gatewayCount) {
    KafkaSettings kafka = freshTopics();
    TopicSetup.ensureTopics(kafka);
    Vertx vertx = Vertx.vertx();
    if (worker != null) {
      WorkerConfig workerConfig = worker.apply(kafka);
      await(vertx.deployVerticle(() -> new WorkerVerticle(workerConfig), new DeploymentOptions().setInstances(1)));
    }
    List<GatewayVerticle> gateways = new ArrayList<>();
    for (int i = 0; i < gatewayCount; i++) {
      gateways.add(startGateway(vertx, gatewayConfig(kafka)));
    }
    return new TokenrailStack(vertx, kafka, gateways);
  }

  static GatewayConfig gatewayConfig(KafkaSettings kafka) {
    return GatewayConfig.defaults(kafka, 0);
  }

  static GatewayVerticle startGateway(Vertx vertx, GatewayConfig config) {
    GatewayVerticle gateway = new GatewayVerticle(config);
    await(vertx.deployVerticle(gateway));
    return gateway;
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
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
