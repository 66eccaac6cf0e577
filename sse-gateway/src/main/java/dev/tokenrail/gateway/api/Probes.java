package dev.tokenrail.gateway.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.kafka.admin.KafkaAdminClient;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * {@code /health} (the process answers) and {@code /ready} (it has read what it needs and reaches Kafka):
 * what a load balancer and an orchestrator ask.
 */
public final class Probes {

  private final BooleanSupplier restored;
  private final KafkaAdminClient admin;
  private final Optional<String> partitions;

  /**
   * @param restored   true once live delivery is assigned and the gateway's indexes are read
   * @param partitions the partitions this gateway's group serves ({@code 0-5}); empty: all (broadcast)
   */
  public Probes(BooleanSupplier restored, KafkaAdminClient admin, Optional<String> partitions) {
    this.restored = restored;
    this.admin = admin;
    this.partitions = partitions;
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
        .onSuccess(c -> ctx.json(new JsonObject().put("status", "UP").put("kafkaNodes", c.getNodes().size())
            .put("partitions", partitions.orElse("all"))))
        .onFailure(e -> {
          ctx.response().setStatusCode(503);
          ctx.json(new JsonObject().put("status", "DOWN").put("reason", "Kafka unreachable"));
        });
  }
}
