package dev.tokenrail.gateway;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Every error answer of the API: {@code {"error": {"code": "...", "message": "..."}}}. */
final class ApiErrors {

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
}
