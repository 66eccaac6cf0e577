package dev.tokenrail.gateway.access;

import dev.tokenrail.gateway.http.HttpPolicy;
import dev.tokenrail.protocol.TraceContext;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.URISyntaxException;
import io.vertx.ext.web.handler.CorsHandler;
import java.util.Set;

/**
 * Which other sites' pages may call the API from a browser ({@code TOKENRAIL_CORS_ORIGINS}), and with what.
 * The gateway's own origin — its chat page — is always allowed: browsers send {@code Origin} on a
 * same-origin POST too, and CORS is about other sites.
 */
public final class CrossOrigin {

  private CrossOrigin() {
  }

  public static Handler<RoutingContext> handler(HttpPolicy policy) {
    CorsHandler otherSites = corsHandler(policy);
    return ctx -> {
      String origin = ctx.request().getHeader("Origin");
      if (origin == null || isSameOrigin(origin, ctx.request().getHeader("Host"))) {
        ctx.next();
      } else {
        otherSites.handle(ctx);
      }
    };
  }

  /**
   * The origin names the host the request was sent to. A browser sets both headers itself, so a page of
   * another site cannot make them agree; behind a proxy, the proxy must pass the client's {@code Host}
   * on with its port (nginx: {@code $http_host}). The scheme is not compared: a TLS proxy in front makes
   * it https for the browser and http here.
   */
  static boolean isSameOrigin(String origin, String host) {
    if (host == null) {
      return false;
    }
    try {
      URI uri = new URI(origin);
      if (uri.getHost() == null || uri.getRawPath() != null && !uri.getRawPath().isEmpty()) {
        return false;
      }
      String authority = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
      String bareHost = host.endsWith(":80") || host.endsWith(":443") ? host.substring(0, host.lastIndexOf(':')) : host;
      return authority.equalsIgnoreCase(host) || authority.equalsIgnoreCase(bareHost);
    } catch (URISyntaxException e) {
      return false;
    }
  }

  private static CorsHandler corsHandler(HttpPolicy policy) {
    return CorsHandler.create()
        .addOrigins(policy.corsOrigins())
        .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE))
        .allowedHeaders(Set.of("Content-Type", "Authorization", "Last-Event-ID", TraceContext.HEADER, "X-Conversation-Id"))
        .exposedHeaders(Set.of(TraceContext.HEADER, "X-Conversation-Id", "Tokenrail-Partition"))
        .maxAgeSeconds(600);
  }
}
