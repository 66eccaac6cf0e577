package dev.tokenrail.gateway;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every error answer of the API: {@code {"error": {"code": "...", "message": "..."}}}. */
final class ApiErrors {

  private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);

  private ApiErrors() {
  }

  static void send(RoutingContext ctx, int status, String code, String message) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", new JsonObject().put("code", code).put("message", message)).encode());
  }

  static void badRequest(RoutingContext ctx, String code, String message) {
    send(ctx, 400, code, message);
  }

  /** An {@link ApiException} answers as it says; anything else means Kafka did not answer: 503. */
  static void refuseOrUnavailable(RoutingContext ctx, Throwable failure, String unavailableMessage) {
    if (failure instanceof ApiException api) {
      send(ctx, api.status(), api.code(), api.getMessage());
    } else {
      log.warn("{} {} failed: {}", ctx.request().method(), ctx.request().path(), failure.toString());
      send(ctx, 503, "kafka_unavailable", unavailableMessage);
    }
  }
}
