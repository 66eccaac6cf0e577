package dev.tokenrail.gateway.http;

import dev.tokenrail.protocol.TraceContext;
import io.vertx.ext.web.RoutingContext;

/** The trace a request belongs to: it travels with the message to the worker and its answer's events. */
public final class Traces {

  private Traces() {
  }

  /** The client's {@code traceparent} continued here, or a new trace. */
  public static TraceContext of(RoutingContext ctx) {
    return TraceContext.continued(ctx.request().getHeader(TraceContext.HEADER));
  }
}
