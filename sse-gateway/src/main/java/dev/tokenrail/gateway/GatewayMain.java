package dev.tokenrail.gateway;

import dev.tokenrail.gateway.api.Standby;
import dev.tokenrail.runtime.Env;
import dev.tokenrail.runtime.KafkaAccess;
import dev.tokenrail.runtime.Readiness;
import dev.tokenrail.runtime.Shutdown;
import dev.tokenrail.runtime.Startup;
import dev.tokenrail.runtime.Telemetry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an SSE gateway on its own against {@code KAFKA_BOOTSTRAP_SERVERS}. A gateway that cannot start (its
 * port taken, Kafka unreachable, a bad setting) says why in one line and exits with 1. One that Kafka refuses
 * (credentials, ACLs) waits instead, not ready, its port answering 503 ({@link Standby}; see
 * {@link KafkaAccess} for why).
 */
public final class GatewayMain {

  private static final Logger log = LoggerFactory.getLogger(GatewayMain.class);

  private GatewayMain() {
  }

  public static void main(String[] args) {
    Startup.run("sse-gateway", () -> {
      int port = GatewayConfig.fromEnv(Env.system(), "localhost:9092").port(); // a bad setting fails here
      Vertx vertx = Telemetry.vertx();
      Shutdown.onExit(vertx);
      Readiness readiness = new Readiness();
      HttpServer[] standby = {null};
      GatewayConfig config = KafkaAccess.awaitTopics("sse-gateway", () -> GatewayConfig.fromEnv(Env.system(),
          "localhost:9092"), GatewayConfig::kafka, readiness, () -> standby[0] = awaitListening(
              new Standby(vertx, readiness).listen(port), port));
      GatewayVerticle gateway = new GatewayVerticle(config);
      if (standby[0] != null) {
        gateway.takingPortFrom(standby[0]);
      }
      Startup.await(vertx.deployVerticle(gateway));
      log.info("sse-gateway listening on port {}, Kafka at {}", gateway.actualPort(), config.kafka().bootstrapServers());
    });
  }

  private static HttpServer awaitListening(Future<HttpServer> listen, int port) {
    try {
      return Startup.await(Startup.listening(listen, "HTTP (PORT)", port));
    } catch (Exception e) {
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
    }
  }
}
