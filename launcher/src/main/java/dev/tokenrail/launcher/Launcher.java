package dev.tokenrail.launcher;

import dev.tokenrail.gateway.GatewayConfig;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.kafka.EmbeddedKafkaBroker;
import dev.tokenrail.model.Env;
import dev.tokenrail.model.KafkaSettings;
import dev.tokenrail.model.Shutdown;
import dev.tokenrail.model.TopicSetup;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.WorkerVerticle;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tokenrail in one JVM: an embedded Kafka broker (KRaft), the producer worker and the SSE gateway. With
 * no configuration it runs the demo model on http://localhost:8080/ and needs no network.
 */
public final class Launcher {

  private static final Logger log = LoggerFactory.getLogger(Launcher.class);

  private Launcher() {
  }

  public static void main(String[] args) {
    try {
      run(Env.system());
    } catch (RuntimeException e) {
      log.error("Tokenrail failed to start: {}", e.getMessage(), e);
      System.exit(1);
    }
  }

  static void run(Env env) {
    LauncherConfig launch = LauncherConfig.fromEnv(env);
    EmbeddedKafkaBroker broker = launch.startsBroker()
        ? EmbeddedKafkaBroker.start(launch.dataDir(), launch.kafkaPort(), Map.of())
        : null;
    String bootstrap = broker != null ? broker.bootstrapServers() : "localhost:" + launch.kafkaPort();
    KafkaSettings kafka = KafkaSettings.fromEnv(env, bootstrap);
    TopicSetup.ensureTopics(kafka);

    Vertx vertx = Vertx.vertx();
    if (broker != null) {
      Shutdown.onExit(vertx, broker);
    } else {
      Shutdown.onExit(vertx);
    }
    Future<?> worker = launch.roles().contains(LauncherConfig.Role.WORKER)
        ? deployWorker(vertx, WorkerConfig.fromEnv(env, bootstrap))
        : Future.succeededFuture();
    Future<?> gateway = launch.roles().contains(LauncherConfig.Role.GATEWAY)
        ? worker.compose(v -> deployGateway(vertx, GatewayConfig.fromEnv(env, bootstrap)))
        : worker;
    gateway.onFailure(e -> {
      log.error("Tokenrail failed to start", e);
      System.exit(1);
    });
    if (!launch.roles().contains(LauncherConfig.Role.GATEWAY)) {
      worker.onSuccess(v -> log.info("Tokenrail running {} with Kafka at {}", launch.roles(), bootstrap));
    }
  }

  private static Future<String> deployWorker(Vertx vertx, WorkerConfig config) {
    return vertx.deployVerticle(() -> new WorkerVerticle(config), new DeploymentOptions().setInstances(config.instances()))
        .onSuccess(id -> {
          if (config.model().provider() == ModelSettings.Provider.DEMO) {
            log.info("Model: the demo model, a stand-in for a real LLM (set TOKENRAIL_MODEL_PROVIDER=openai or anthropic)");
          } else {
            log.info("Model: {}", config.model());
          }
        });
  }

  private static Future<String> deployGateway(Vertx vertx, GatewayConfig config) {
    GatewayVerticle gateway = new GatewayVerticle(config);
    return vertx.deployVerticle(gateway)
        .onSuccess(id -> log.info("Tokenrail is running: open http://localhost:{}/  (Kafka at {}; Ctrl-C stops)",
            gateway.actualPort(), config.kafka().bootstrapServers()));
  }
}
