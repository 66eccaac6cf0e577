package dev.tokenrail.gateway.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.kafka.admin.KafkaAdminClient;
import java.util.function.BooleanSupplier;

/**
 * {@code /health} (the process answers) and {@code /ready} (it has read what it needs and reaches Kafka):
 * what a load balancer and an orchestrator ask.
 */
public final class Probes {

  private final BooleanSupplier restored;
  private final KafkaAdminClient admin;

  /** @param restored true once live delivery is assigned and the gateway's indexes are read */
  public Probes(BooleanSupplier restored, KafkaAdminClient admin) {
    this.restored = restored;
    this.admin = admin;
  }

  public void health(RoutingContext ctx) {
    ctx.json(new JsonObject().put("status", "UP"));
  }

  public void ready(RoutingContext ctx) {
    if (!restored.getAsBoolean()) {
      ctx.response().setStatusCode(503);
      ctx.json(new JsonObject().put("status", "DOWN").put("reason", "events reader not assigned"));
      return;
    }
    admin.describeCluster()
        .onSuccess(c -> ctx.json(new JsonObject().put("status", "UP").put("kafkaNodes", c.getNodes().size())))
        .onFailure(e -> {
          ctx.response().setStatusCode(503);
          ctx.json(new JsonObject().put("status", "DOWN").put("reason", "Kafka unreachable"));
        });
  }
}
