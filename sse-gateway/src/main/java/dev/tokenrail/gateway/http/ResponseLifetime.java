package dev.tokenrail.gateway.http;

import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * The one place a request gives back what it took — a stream place, a subscription — however its response
 * ends: written to its end by the server (an answer, a completion, an error body) or cut off when the
 * client goes away. A Vert.x response holds one end handler and one close handler, and setting either
 * again silently replaces the first; so they are set once, here, for every request, and everything else
 * registers with {@link #onEnd}. Each action runs exactly once, on the gateway's event loop.
 */
public final class ResponseLifetime {

  private static final String KEY = "tokenrail.lifetime";

  /** What runs at the end, in the order registered; null once it has run. */
  private List<Runnable> actions = new ArrayList<>(2);

  private ResponseLifetime() {
  }

  /** The first handler of every request: takes the response's end and close handlers for good. */
  public static void install(RoutingContext ctx) {
    ResponseLifetime lifetime = new ResponseLifetime();
    ctx.put(KEY, lifetime);
    ctx.response().endHandler(v -> lifetime.end());
    ctx.response().closeHandler(v -> lifetime.end());
  }

  /** Runs {@code action} once the response has ended or its connection closed; at once if that happened already. */
  public static void onEnd(RoutingContext ctx, Runnable action) {
    ResponseLifetime lifetime = ctx.get(KEY);
    if (lifetime == null) {
      throw new IllegalStateException("ResponseLifetime.install is not the first handler of this route");
    }
    if (lifetime.actions == null) {
      action.run();
    } else {
      lifetime.actions.add(action);
    }
  }

  private void end() {
    List<Runnable> due = actions;
    actions = null;
    if (due != null) {
      due.forEach(Runnable::run);
    }
  }
}
