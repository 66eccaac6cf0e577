package dev.tokenrail.worker;

import dev.tokenrail.model.Env;
import dev.tokenrail.model.Shutdown;
import dev.tokenrail.model.TopicSetup;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs producer-worker verticles on their own against {@code KAFKA_BOOTSTRAP_SERVERS}. */
public final class WorkerMain {

  private static final Logger log = LoggerFactory.getLogger(WorkerMain.class);

  private WorkerMain() {
  }

  public static void main(String[] args) {
    WorkerConfig config = WorkerConfig.fromEnv(Env.system(), "localhost:9092");
    TopicSetup.ensureTopics(config.kafka());
    Vertx vertx = Vertx.vertx();
    Shutdown.onExit(vertx);
    vertx.deployVerticle(() -> new WorkerVerticle(config), new DeploymentOptions().setInstances(config.instances()))
        .onSuccess(id -> log.info("producer-worker running: {} instance(s), Kafka at {}",
            config.instances(), config.kafka().bootstrapServers()))
        .onFailure(e -> {
          log.error("producer-worker failed to start", e);
          System.exit(1);
        });
  }
}
