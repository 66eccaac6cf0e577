package dev.tokenrail.gateway.delivery;

import dev.tokenrail.gateway.conversations.ConversationStarts;
import dev.tokenrail.gateway.conversations.LogLookups;
import dev.tokenrail.gateway.conversations.LookupBudget;
import dev.tokenrail.gateway.http.ResponseLifetime;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.MeterScope;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
import java.util.Set;

/**
 * Every SSE stream of a gateway, whatever its wire format: where it starts ({@link StreamStarts}), live
 * delivery ({@link EventsReader}), catch-up from the log ({@link CatchUpLanes}), keep-alives, and its end.
 * The routes of every API open their streams here. Confined to the gateway's context.
 */
public final class Streams {

  private final Vertx vertx;
  private final DeliverySettings settings;
  private final EventsReader reader;
  private final CatchUpLanes catchUp;
  private final StreamStarts starts;
  private final DeliveryMetrics metrics;
  private final Set<Subscription> open = new HashSet<>();
  private final java.util.function.IntPredicate ownedPartitions;

  public Streams(Vertx vertx, KafkaSettings kafka, DeliverySettings settings, String gatewayId, MeterScope meters,
                 LogLookups lookups, ConversationStarts conversationStarts, java.util.function.IntPredicate ownedPartitions) {
    this.vertx = vertx;
    this.settings = settings;
    this.ownedPartitions = ownedPartitions;
    this.reader = new EventsReader(vertx, kafka, gatewayId, meters, settings.recentEventsPerPartition(),
        ownedPartitions);
    this.catchUp = new CatchUpLanes(vertx, kafka, gatewayId, reader);
    this.starts = new StreamStarts(lookups, reader, conversationStarts, settings.replayClockSkew());
    this.metrics = new DeliveryMetrics(gatewayId, meters);
  }

  /** Completes once live delivery has every partition of the events topic. */
  public Future<Void> start() {
    vertx.setPeriodic(settings.keepAlive().toMillis(), id -> open.forEach(Subscription::ping));
    metrics.gauges(open::size, reader::lag);
    vertx.setPeriodic(5_000, id -> reader.sampleLag());
    return reader.start().compose(v -> catchUp.start(settings.catchUpReaders()));
  }

  public Future<Void> close() {
    return reader.close().eventually(() -> catchUp.close());
  }

  /** True once live delivery reads every partition. */
  public boolean ready() {
    return reader.assigned();
  }

  public int partitionCount() {
    return reader.partitionCount();
  }

  /** The events partition of the conversation whose records have {@code kafkaKey}. */
  public int partitionOf(String kafkaKey) {
    return Partitioning.partitionOf(kafkaKey, reader.partitionCount());
  }

  /** Where a stream starts, from what the request asks (see {@link StreamStarts#resolve}). */
  public Future<StreamStart> startOf(RoutingContext ctx, String kafkaKey, int partition) {
    return starts.resolve(ctx, kafkaKey, partition);
  }

  /** From the next event the partition delivers live: noted before a lookup, nothing after it is missed. */
  public StreamStart liveNow(int partition) {
    return StreamStart.from(reader.liveNext(partition));
  }

  /** From a message's first event: a replay of its answer, then live. */
  public Future<StreamStart> startOfMessage(RoutingContext ctx, String kafkaKey, int partition, String messageId) {
    return starts.ofMessage(kafkaKey, partition, messageId, LookupBudget.of(() -> ctx.response().closed()));
  }

  /**
   * Subscribes the request's response to the conversation's events from {@code start}, written in
   * {@code format}; the subscription ends with the response, however it ends.
   */
  public void open(RoutingContext ctx, StreamFormat format, String conversationId, String kafkaKey, int partition,
                   StreamStart start) {
    if (!ownedPartitions.test(partition)) { // a route that skipped its group check: a 500 now, not a silent stream
      throw new IllegalStateException("partition " + partition + " is not read by this gateway's group");
    }
    HttpServerResponse response = ctx.response();
    if (response.closed()) {
      return;
    }
    Subscription subscription = new Subscription(response, format, conversationId, kafkaKey, partition,
        start.fromOffset().orElse(reader.liveNext(partition)), start.partsHeld());
    reader.add(subscription);
    open.add(subscription);
    Runnable remove = () -> { // the client went, or a format wrote its last bytes
      reader.remove(subscription);
      open.remove(subscription);
      subscription.closed();
    };
    ResponseLifetime.onEnd(ctx, remove);
    subscription.open(settings.sseWriteQueueBytes(), catchUp::catchUp, metrics);
    start.resetReason().ifPresent(subscription::reset);
    if (start.fromOffset().isPresent()) {
      catchUp.catchUp(subscription);
    } else {
      subscription.goLive();
    }
  }

  public StreamStats stats() {
    return new StreamStats(reader.subscriptionCount(), reader.subscriptionsIn(Subscription.Mode.CATCHING_UP),
        reader.subscriptionsIn(Subscription.Mode.BEHIND));
  }
}
