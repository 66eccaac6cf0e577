package dev.tokenrail.gateway.groups;

import dev.tokenrail.gateway.http.ApiErrors;
import dev.tokenrail.gateway.http.Callers;
import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.runtime.MeterScope;
import dev.tokenrail.runtime.Telemetry;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * What this gateway answers about a conversation, by the partition its Kafka key falls in: served here when its
 * group owns the partition, else a {@code 307} to the owning group's base URL with the same path, query and method
 * (a client resends the body), or {@code 421} when no route names that group. With no partitions set (broadcast)
 * every conversation is served here. The conversations a gateway starts itself get ids in its own partitions.
 */
public final class GatewayGroup {

  /** Tells a client, and a router that learns from answers, which partition a conversation lives in. */
  public static final String PARTITION_HEADER = "Tokenrail-Partition";
  /** Bounds the search for an id in the group's partitions; a group owning 1 of 1,000 partitions needs ~1,000. */
  private static final int MAX_ID_CANDIDATES = 100_000;

  private final GroupSettings settings;
  private final IntSupplier partitionCount;
  /** Requests sent on to the owning group (307): the router in front missed. */
  private final Counter redirected;
  /** Requests for a group no route names (421): the gateways' routes are incomplete, which needs fixing. */
  private final Counter unroutable;

  /** @param partitionCount the topics' partition count, known once the gateway has started */
  public GatewayGroup(GroupSettings settings, IntSupplier partitionCount, String gatewayId, MeterScope meters) {
    this.settings = settings;
    this.partitionCount = partitionCount;
    this.redirected = redirects(meters, gatewayId, "307");
    this.unroutable = redirects(meters, gatewayId, "421");
  }

  private static Counter redirects(MeterScope meters, String gatewayId, String status) {
    return meters.add(Counter.builder("tokenrail.gateway.group.redirects")
        .description("requests for a conversation of another gateway group, by answer: 307 to its group, or 421 when no"
            + " route names that group")
        .tag("gateway", gatewayId).tag("status", status).register(Telemetry.registry()));
  }

  public GroupSettings settings() {
    return settings;
  }

  /**
   * A route handler for paths that name a conversation: {@code conversationOf} reads it from the path (empty when
   * the path's id is malformed: the route's own handler answers that). Needs the caller's subject, so it runs
   * after authentication.
   */
  public Handler<RoutingContext> byPath(Function<RoutingContext, Optional<String>> conversationOf) {
    return ctx -> {
      if (settings.broadcast()) {
        ctx.next();
        return;
      }
      Optional<String> conversationId = conversationOf.apply(ctx);
      if (conversationId.isEmpty() || serves(ctx, Callers.kafkaKey(ctx, conversationId.get()))) {
        ctx.next();
      }
    };
  }

  /** The path's {@code :id} as a conversation id, if it is one. */
  public static Optional<String> pathConversation(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    return ConversationIds.isValid(id) ? Optional.of(id) : Optional.empty();
  }

  /**
   * True when this gateway serves the conversation of {@code kafkaKey}; otherwise it has answered the request
   * (307 to the owning group, or 421) and the caller does nothing more.
   */
  public boolean serves(RoutingContext ctx, String kafkaKey) {
    if (settings.broadcast()) {
      return true;
    }
    int partition = Partitioning.partitionOf(kafkaKey, partitionCount.getAsInt());
    if (settings.owns(partition)) {
      return true;
    }
    ctx.response().putHeader(PARTITION_HEADER, Integer.toString(partition));
    Optional<String> route = settings.routeTo(partition);
    if (route.isEmpty()) {
      unroutable.increment();
      ApiErrors.send(ctx, 421, "wrong_gateway_group", "This conversation lives in partition " + partition
          + ", which this gateway's group does not serve, and no route names the group that does.");
      return false;
    }
    redirected.increment();
    // The same path and query, on the group that owns it (path(): an absolute-form target's too).
    String query = ctx.request().query();
    String location = route.get() + ctx.request().path() + (query == null ? "" : "?" + query);
    ctx.response().setStatusCode(307).putHeader(HttpHeaders.LOCATION, location)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("error", new JsonObject().put("code", "other_gateway_group")
            .put("message", "This conversation is served by the gateways at " + route.get() + ".")
            .put("location", location)).encode());
    return false;
  }

  /**
   * An id for a conversation this gateway starts (a stateless completion, a new response), drawn from
   * {@code candidates} until its key — the caller's — falls in this group's partitions, so that its requests and
   * events stay in this group.
   */
  public String newConversationId(RoutingContext ctx, Supplier<String> candidates) {
    String id = candidates.get();
    if (settings.broadcast()) {
      return id;
    }
    int count = partitionCount.getAsInt();
    String subject = Callers.subject(ctx);
    // The caller's key prefix once (the subject's hash), not once a candidate.
    String keyPrefix = ConversationIds.kafkaKey(subject, "");
    for (int i = 0; i < MAX_ID_CANDIDATES && !settings.owns(Partitioning.partitionOf(keyPrefix + id, count)); i++) {
      id = candidates.get();
    }
    return id; // after the bound (a group owning a vanishing share), served through the redirect like any other
  }
}
