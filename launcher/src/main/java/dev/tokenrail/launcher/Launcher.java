package dev.tokenrail.launcher;

import dev.tokenrail.gateway.GatewayConfig;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.kafka.EmbeddedKafkaBroker;
import dev.tokenrail.runtime.Env;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.Readiness;
import dev.tokenrail.runtime.Telemetry;
import dev.tokenrail.worker.WorkerMain;
import dev.tokenrail.runtime.Shutdown;
import dev.tokenrail.runtime.Startup;
import dev.tokenrail.runtime.TopicSetup;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.WorkerVerticle;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tokenrail in one JVM: an embedded Kafka broker (KRaft), the producer worker and the SSE gateway. With
 * no configuration it runs the demo model on http://localhost:8080/ and needs no network.
 */
public final class Launcher {

  private static final Logger log = LoggerFactory.getLogger(Launcher.class);

  /** What a launch started; closing it stops the verticles, then the broker. */
  public record Running(Vertx vertx, Optional<EmbeddedKafkaBroker> broker, String bootstrapServers,
                        Optional<Integer> gatewayPort) implements AutoCloseable {
    @Override
    public void close() throws Exception {
      vertx.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      if (broker.isPresent()) {
        broker.get().close();
      }
    }
  }

  private Launcher() {
  }

  public static void main(String[] args) {
    Startup.run("Tokenrail", () -> {
      Running running = start(Env.system());
      running.broker().ifPresentOrElse(b -> Shutdown.onExit(running.vertx(), b), () -> Shutdown.onExit(running.vertx()));
      running.gatewayPort().ifPresentOrElse(
          port -> log.info("Tokenrail is running: open http://localhost:{}/  (Kafka at {}; Ctrl-C stops)",
              port, running.bootstrapServers()),
          () -> log.info("Tokenrail running {} with Kafka at {}", Env.system().string("TOKENRAIL_ROLES", "all roles"),
              running.bootstrapServers()));
    });
  }

  /** Starts what {@code env} asks for and returns once it runs; blocking, for {@code main} and tests. */
  public static Running start(Env env) throws Exception {
    LauncherConfig launch = LauncherConfig.fromEnv(env);
    EmbeddedKafkaBroker broker = launch.startsBroker()
        ? EmbeddedKafkaBroker.start(launch.dataDir(), launch.kafkaPort(), Map.of())
        : null;
    String bootstrap = broker != null ? broker.bootstrapServers() : "localhost:" + launch.kafkaPort();
    KafkaSettings kafka = KafkaSettings.fromEnv(env, bootstrap);
    Vertx vertx = Telemetry.vertx();
    try {
      TopicSetup.ensureTopics(kafka);
      Optional<WorkerConfig> worker = launch.roles().contains(LauncherConfig.Role.WORKER)
          ? Optional.of(WorkerConfig.fromEnv(env, bootstrap)) : Optional.empty();
      List<GatewayConfig> gateways = launch.roles().contains(LauncherConfig.Role.GATEWAY)
          ? List.of(GatewayConfig.fromEnv(env, bootstrap)) : List.of();
      List<GatewayVerticle> deployed = await(deploy(vertx, worker, gateways));
      Integer port = deployed.isEmpty() ? null : deployed.get(0).actualPort();
      if (deployed.isEmpty() && worker.isPresent()) { // no gateway to serve /metrics
        int metricsPort = env.intValue("TOKENRAIL_METRICS_PORT", WorkerMain.DEFAULT_METRICS_PORT, 0, 65_535);
        Readiness running = new Readiness();
        running.markReady(); // deployed: this JVM's worker is in its group
        await(Startup.listening(Telemetry.serveMetrics(vertx, metricsPort, running), "metrics (TOKENRAIL_METRICS_PORT)",
            metricsPort));
      }
      return new Running(vertx, Optional.ofNullable(broker), kafka.bootstrapServers(), Optional.ofNullable(port));
    } catch (Exception e) {
      new Running(vertx, Optional.ofNullable(broker), kafka.bootstrapServers(), Optional.empty()).close();
      throw e;
    }
  }

  /**
   * Deploys a worker (as many verticles as {@link WorkerConfig#instances} says, each a member of the worker
   * group) and then each gateway on {@code vertx}, and completes with the gateways once all run. The
   * launcher, the benchmark and the end-to-end tests all assemble Tokenrail through here, so what they
   * measure and test is what runs.
   */
  public static Future<List<GatewayVerticle>> deploy(Vertx vertx, Optional<WorkerConfig> worker,
                                                     List<GatewayConfig> gateways) {
    Future<?> workerDeployed = worker.<Future<?>>map(config -> deployWorker(vertx, config))
        .orElseGet(Future::succeededFuture);
    return workerDeployed.compose(v -> deployGateways(vertx, gateways, new ArrayList<>()));
  }

  private static Future<List<GatewayVerticle>> deployGateways(Vertx vertx, List<GatewayConfig> configs,
                                                             List<GatewayVerticle> deployed) {
    if (deployed.size() == configs.size()) {
      return Future.succeededFuture(deployed);
    }
    GatewayVerticle gateway = new GatewayVerticle(configs.get(deployed.size()));
    return vertx.deployVerticle(gateway).compose(id -> {
      deployed.add(gateway);
      return deployGateways(vertx, configs, deployed);
    });
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

  private static <T> T await(Future<T> future) throws Exception {
    return Startup.await(future);
  }
}
