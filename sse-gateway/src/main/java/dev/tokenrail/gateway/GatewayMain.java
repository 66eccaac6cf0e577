package dev.tokenrail.gateway;

import dev.tokenrail.runtime.Env;
import dev.tokenrail.runtime.Shutdown;
import dev.tokenrail.runtime.Telemetry;
import dev.tokenrail.runtime.TopicSetup;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs an SSE gateway on its own against {@code KAFKA_BOOTSTRAP_SERVERS}. */
public final class GatewayMain {

  private static final Logger log = LoggerFactory.getLogger(GatewayMain.class);

  private GatewayMain() {
  }

  public static void main(String[] args) {
    GatewayConfig config = GatewayConfig.fromEnv(Env.system(), "localhost:9092");
    TopicSetup.ensureTopics(config.kafka());
    Vertx vertx = Telemetry.vertx();
    Shutdown.onExit(vertx);
    GatewayVerticle gateway = new GatewayVerticle(config);
    vertx.deployVerticle(gateway)
        .onSuccess(id -> log.info("sse-gateway listening on port {}, Kafka at {}",
            gateway.actualPort(), config.kafka().bootstrapServers()))
        .onFailure(e -> {
          log.error("sse-gateway failed to start", e);
          System.exit(1);
        });
  }
}
