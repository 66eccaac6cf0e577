package dev.tokenrail.gateway.api;

import dev.tokenrail.gateway.http.ApiErrors;
import dev.tokenrail.runtime.Readiness;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/**
 * The gateway's port while Kafka refuses the gateway (see {@code KafkaAccess}): {@code /health} answers, so
 * an orchestrator does not restart a process that is only waiting; {@code /ready} answers 503 with the
 * reason; every other request gets 503 {@code kafka_unavailable} with {@code Retry-After}, in the API's
 * error shape (OpenAI's on {@code /v1}), rather than a refused connection. Closed before the gateway
 * itself listens on the port.
 */
public final class Standby {

  private final Vertx vertx;
  private final Readiness readiness;

  public Standby(Vertx vertx, Readiness readiness) {
    this.vertx = vertx;
    this.readiness = readiness;
  }

  public Future<HttpServer> listen(int port) {
    Router router = Router.router(vertx);
    router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
    router.get("/ready").handler(ctx -> {
      ctx.response().setStatusCode(503);
      ctx.json(readiness.body());
    });
    router.route().handler(ctx -> {
      ctx.response().putHeader("Retry-After", "30");
      ApiErrors.send(ctx, 503, "kafka_unavailable",
          "The gateway cannot use Kafka yet (Kafka refuses its credentials or permissions); try again later.");
    });
    return vertx.createHttpServer().requestHandler(router).listen(port);
  }
}
