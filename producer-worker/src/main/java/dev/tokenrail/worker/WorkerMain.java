package dev.tokenrail.worker;

import dev.tokenrail.runtime.Env;
import dev.tokenrail.runtime.KafkaAccess;
import dev.tokenrail.runtime.Readiness;
import dev.tokenrail.runtime.Shutdown;
import dev.tokenrail.runtime.Startup;
import dev.tokenrail.runtime.Telemetry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs producer-worker verticles on their own against {@code KAFKA_BOOTSTRAP_SERVERS}. A worker that cannot
 * start (its metrics port taken, Kafka unreachable, a bad setting) says why in one line and exits with 1.
 */
public final class WorkerMain {

  private static final Logger log = LoggerFactory.getLogger(WorkerMain.class);

  /** Where a worker on its own serves {@code /metrics}, {@code /health} and {@code /ready}. */
  public static final int DEFAULT_METRICS_PORT = 9404;

  private WorkerMain() {
  }

  public static void main(String[] args) {
    Startup.run("producer-worker", () -> {
      Env env = Env.system();
      WorkerConfig.fromEnv(env, "localhost:9092"); // a bad setting fails before anything opens
      int metricsPort = env.intValue("TOKENRAIL_METRICS_PORT", DEFAULT_METRICS_PORT, 0, 65_535);
      Vertx vertx = Telemetry.vertx();
      Shutdown.onExit(vertx);
      // The metrics port first: a second worker on the same host fails before it joins the group, and while
      // Kafka refuses this worker, /ready says why.
      Readiness readiness = new Readiness();
      Startup.await(Startup.listening(Telemetry.serveMetrics(vertx, metricsPort, readiness),
          "metrics (TOKENRAIL_METRICS_PORT)", metricsPort));
      WorkerConfig config = KafkaAccess.awaitTopics("producer-worker", () -> WorkerConfig.fromEnv(Env.system(),
          "localhost:9092"), WorkerConfig::kafka, readiness, () -> { });
      Startup.await(vertx.deployVerticle(() -> new WorkerVerticle(config),
          new DeploymentOptions().setInstances(config.instances())));
      readiness.markReady();
      log.info("producer-worker running: {} instance(s), Kafka at {}", config.instances(),
          config.kafka().bootstrapServers());
    });
  }
}
