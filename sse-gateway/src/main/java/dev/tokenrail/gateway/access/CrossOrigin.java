package dev.tokenrail.gateway.access;

import dev.tokenrail.gateway.http.HttpPolicy;
import dev.tokenrail.protocol.TraceContext;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.handler.CorsHandler;
import java.util.Set;

/** Which other sites' pages may call the API from a browser ({@code TOKENRAIL_CORS_ORIGINS}), and with what. */
public final class CrossOrigin {

  private CrossOrigin() {
  }

  public static CorsHandler handler(HttpPolicy policy) {
    return CorsHandler.create()
        .addOrigins(policy.corsOrigins())
        .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST))
        .allowedHeaders(Set.of("Content-Type", "Authorization", "Last-Event-ID", TraceContext.HEADER, "X-Conversation-Id"))
        .exposedHeaders(Set.of(TraceContext.HEADER, "X-Conversation-Id"))
        .maxAgeSeconds(600);
  }
}
