package dev.tokenrail.gateway.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every error answer of the API: {@code {"error": {"code": "...", "message": "..."}}}; on the
 * OpenAI-compatible routes ({@code /v1/...}) in OpenAI's shape, {@code {"error": {"message", "type",
 * "param", "code"}}}, so OpenAI clients raise their usual exceptions.
 */
public final class ApiErrors {

  private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);

  private ApiErrors() {
  }

  public static void send(RoutingContext ctx, int status, String code, String message) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    JsonObject error = ctx.request().path() != null && ctx.request().path().startsWith("/v1/")
        ? openAiError(status, code, message)
        : new JsonObject().put("code", code).put("message", message);
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", error).encode());
  }

  public static JsonObject openAiError(int status, String code, String message) {
    String type = switch (status) {
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 429 -> "rate_limit_error";
      default -> status >= 500 ? "server_error" : "invalid_request_error";
    };
    return new JsonObject().put("message", message).put("type", type).putNull("param").put("code", code);
  }

  public static void badRequest(RoutingContext ctx, String code, String message) {
    send(ctx, 400, code, message);
  }

  /** An {@link ApiException} answers as it says; anything else means Kafka did not answer: 503. */
  public static void refuseOrUnavailable(RoutingContext ctx, Throwable failure, String unavailableMessage) {
    if (failure instanceof ApiException api) {
      send(ctx, api.status(), api.code(), api.getMessage());
    } else {
      log.warn("{} {} failed: {}", ctx.request().method(), ctx.request().path(), failure.toString());
      send(ctx, 503, "kafka_unavailable", unavailableMessage);
    }
  }
}
