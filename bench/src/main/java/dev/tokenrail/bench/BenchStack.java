package dev.tokenrail.bench;

import dev.tokenrail.gateway.access.ClientLimits;
import dev.tokenrail.gateway.GatewayConfig;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.gateway.delivery.DeliverySettings;
import dev.tokenrail.kafka.EmbeddedKafkaBroker;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.Telemetry;
import dev.tokenrail.runtime.TopicSetup;
import dev.tokenrail.protocol.Topics;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.launcher.Launcher;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What every scenario measures against: an embedded broker, a worker and a gateway in this JVM. */
final class BenchStack implements AutoCloseable {

  private final EmbeddedKafkaBroker broker;
  private final Vertx vertx;
  private final GatewayVerticle gateway;
  private final KafkaSettings kafka;

  private BenchStack(EmbeddedKafkaBroker broker, Vertx vertx, GatewayVerticle gateway, KafkaSettings kafka) {
    this.broker = broker;
    this.vertx = vertx;
    this.gateway = gateway;
    this.kafka = kafka;
  }

  KafkaSettings kafka() {
    return kafka;
  }

  static BenchStack start(int lingerMs, int tokensPerSecond, int ttftMs) throws Exception {
    return start(lingerMs, tokensPerSecond, ttftMs, DeliverySettings.DEFAULT_SSE_WRITE_QUEUE_BYTES);
  }

  static BenchStack start(int lingerMs, int tokensPerSecond, int ttftMs, int sseWriteQueueBytes) throws Exception {
    return start(lingerMs, tokensPerSecond, ttftMs, DeliverySettings.DEFAULT.withSseWriteQueueBytes(sseWriteQueueBytes));
  }

  static BenchStack start(int lingerMs, int tokensPerSecond, int ttftMs, DeliverySettings delivery) throws Exception {
    int sseWriteQueueBytes = delivery.sseWriteQueueBytes();
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(Files.createTempDirectory("tokenrail-bench"), 0, Map.of());
    KafkaSettings kafka = new KafkaSettings(broker.bootstrapServers(), new Topics("bench."),
        KafkaSettings.DEFAULT_PARTITIONS, lingerMs);
    TopicSetup.ensureTopics(kafka);
    System.out.printf("Producers' linger.ms = %d; demo model %d tokens/s after %d ms; SSE write queue %d bytes%n",
        lingerMs, tokensPerSecond, ttftMs, sseWriteQueueBytes);
    Vertx vertx = Telemetry.vertx(); // as in production: Vert.x's and Tokenrail's metrics are on
    WorkerConfig worker = WorkerConfig.of(kafka, ModelSettings.demo(tokensPerSecond, ttftMs),
        WorkerConfig.defaultMaxConcurrentGenerations());
    GatewayConfig defaults = GatewayConfig.defaults(kafka, 0);
    GatewayConfig gateway = defaults.withDelivery(delivery)
        .withLimits(ClientLimits.UNLIMITED);
    List<GatewayVerticle> deployed = await(Launcher.deploy(vertx, Optional.of(worker), List.of(gateway)));
    return new BenchStack(broker, vertx, deployed.get(0), kafka);
  }

  int port() {
    return gateway.actualPort();
  }

  GatewayVerticle gateway() {
    return gateway;
  }

  @Override
  public void close() throws Exception {
    await(vertx.close());
    broker.close();
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }
}
