package dev.tokenrail.gateway.access;

import dev.tokenrail.gateway.http.ApiErrors;
import dev.tokenrail.gateway.http.ApiException;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import dev.tokenrail.gateway.http.Callers;
import dev.tokenrail.gateway.http.ResponseLifetime;
import dev.tokenrail.runtime.MeterScope;
import dev.tokenrail.runtime.Telemetry;
import io.micrometer.core.instrument.Gauge;
import io.vertx.ext.web.RoutingContext;
import java.util.OptionalLong;

/**
 * Lets a request in, or answers why not: a message takes one from its caller's rate, a stream takes a
 * place under its caller's and the gateway's caps ({@link ClientLimits}). Used on the gateway's event loop.
 */
public final class Admission {

  private final ClientLimits limits;
  private final SubjectLimits counts;
  /** Lookups running per subject ("" without authentication); an entry only while some run. */
  private final Map<String, Integer> lookups = new HashMap<>();

  /** Its gauge of places taken belongs to {@code meters}, tagged with the gateway's id. */
  public Admission(ClientLimits limits, String gatewayId, MeterScope meters) {
    this.limits = limits;
    this.counts = new SubjectLimits(limits);
    meters.add(Gauge.builder("tokenrail.stream.places", counts, SubjectLimits::openStreams)
        .description("stream places taken, counted against TOKENRAIL_MAX_STREAMS; each is given back when its response ends")
        .tag("gateway", gatewayId).register(Telemetry.registry()));
  }

  /**
   * Runs a lookup in the log for the caller, if it has fewer than its limit running: a subject that sends
   * many made-up positions at once waits on itself (429), not on the gateway. The lookup's slot is given
   * back when it ends, however it ends.
   */
  public <T> Future<T> lookup(RoutingContext ctx, Supplier<Future<T>> lookup) {
    String subject = Callers.subject(ctx);
    String holder = subject == null ? "" : subject; // no authentication: every caller shares one, larger
    int max = subject == null ? limits.maxLookupsPerSubject() * 8 : limits.maxLookupsPerSubject();
    int running = lookups.getOrDefault(holder, 0);
    if (running >= max) {
      ctx.response().putHeader("Retry-After", "1");
      return Future.failedFuture(new ApiException(429, "too_many_lookups",
          "You have " + running + " lookups running; wait for one to end."));
    }
    lookups.put(holder, running + 1);
    Future<T> result;
    try {
      result = lookup.get();
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    return result.onComplete(ar -> lookups.computeIfPresent(holder, (h, n) -> n == 1 ? null : n - 1));
  }

  /** Forgets rate buckets that have had time to refill; called periodically. */
  public void evictIdle() {
    counts.evictIdle();
  }

  /** Takes one message from the caller's rate limit; false after answering 429 when it has none left. */
  public boolean withinRate(RoutingContext ctx) {
    OptionalLong retryAfter = counts.tryMessage(Callers.subject(ctx));
    if (retryAfter.isPresent()) {
      ctx.response().putHeader("Retry-After", Long.toString(retryAfter.getAsLong()));
      ApiErrors.send(ctx, 429, "rate_limited", "Too many messages; try again in " + retryAfter.getAsLong() + " s.");
      return false;
    }
    return true;
  }

  /**
   * Counts the stream in against the caller's and the gateway's caps until its response ends or its
   * connection closes, however that happens ({@link ResponseLifetime}); false after answering 429 (the
   * caller's cap) or 503 (the gateway's).
   */
  public boolean admitStream(RoutingContext ctx) {
    String subject = Callers.subject(ctx);
    switch (counts.tryOpenStream(subject)) {
      case ADMITTED -> {
        ResponseLifetime.onEnd(ctx, () -> counts.closeStream(subject));
        return true;
      }
      case SUBJECT_FULL -> {
        ctx.response().putHeader("Retry-After", "10");
        ApiErrors.send(ctx, 429, "too_many_streams",
            "You have " + limits.maxStreamsPerSubject() + " streams open; close one first.");
      }
      case GATEWAY_FULL -> {
        ctx.response().putHeader("Retry-After", "5");
        ApiErrors.send(ctx, 503, "gateway_full", "This gateway has no room for another stream; try again.");
      }
    }
    return false;
  }
}
