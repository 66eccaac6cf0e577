package dev.tokenrail.gateway.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Request bodies as JSON: one rule for what counts as malformed. */
public final class JsonBodies {

  private JsonBodies() {
  }

  /** The body as a JSON object, or null after answering 400 (empty, not JSON, or JSON but not an object). */
  public static JsonObject object(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject(); // null for an empty body
    } catch (RuntimeException e) {
      body = null;
    }
    if (body == null) {
      ApiErrors.badRequest(ctx, "invalid_json", "The body is not a JSON object.");
    }
    return body;
  }
}
