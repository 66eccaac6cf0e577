package dev.tokenrail.gateway;

import dev.tokenrail.runtime.Env;
import dev.tokenrail.runtime.Shutdown;
import dev.tokenrail.runtime.Startup;
import dev.tokenrail.runtime.Telemetry;
import dev.tokenrail.runtime.TopicSetup;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an SSE gateway on its own against {@code KAFKA_BOOTSTRAP_SERVERS}. A gateway that cannot start (its
 * port taken, Kafka unreachable, a bad setting) says why in one line and exits with 1.
 */
public final class GatewayMain {

  private static final Logger log = LoggerFactory.getLogger(GatewayMain.class);

  private GatewayMain() {
  }

  public static void main(String[] args) {
    Startup.run("sse-gateway", () -> {
      GatewayConfig config = GatewayConfig.fromEnv(Env.system(), "localhost:9092");
      TopicSetup.ensureTopics(config.kafka());
      Vertx vertx = Telemetry.vertx();
      Shutdown.onExit(vertx);
      GatewayVerticle gateway = new GatewayVerticle(config);
      Startup.await(vertx.deployVerticle(gateway));
      log.info("sse-gateway listening on port {}, Kafka at {}", gateway.actualPort(), config.kafka().bootstrapServers());
    });
  }
}
