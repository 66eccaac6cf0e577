package dev.tokenrail.gateway.delivery;

import dev.tokenrail.gateway.conversations.ConversationStarts;
import dev.tokenrail.gateway.conversations.LogLookups;
import dev.tokenrail.gateway.conversations.LookupBudget;
import dev.tokenrail.gateway.http.ApiException;
import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.protocol.EventId;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.ProtocolException;
import dev.tokenrail.protocol.StreamEvent;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Predicate;

/** Where a new SSE stream starts, from what the client asked for; a refused request fails with an {@link ApiException}. */
final class StreamStarts {

  static final String RETENTION_RESET =
      "Events after the requested position are no longer retained; continuing from the oldest retained event.";

  private final LogLookups lookups;
  private final EventsReader live;
  private final ConversationStarts starts;
  private final Duration clockSkew;

  StreamStarts(LogLookups lookups, EventsReader live, ConversationStarts starts, Duration clockSkew) {
    this.lookups = lookups;
    this.live = live;
    this.starts = starts;
    this.clockSkew = clockSkew;
  }

  /**
   * Where the stream starts: after {@code Last-Event-ID} (header, or {@code lastEventId} for clients that
   * cannot set headers) — which wins, as browsers resend it on every reconnect — else from the
   * conversation's start ({@code from=start}) or a message's ({@code messageId}), else live from now.
   */
  Future<StreamStart> resolve(RoutingContext ctx, String key, int partition) {
    LookupBudget budget = LookupBudget.of(() -> ctx.response().closed());
    String lastEventId = ctx.request().getHeader("Last-Event-ID");
    if (lastEventId == null) {
      lastEventId = ctx.queryParams().get("lastEventId");
    }
    if (lastEventId != null) {
      return afterEvent(lastEventId, key, partition, budget);
    }
    String from = ctx.queryParams().get("from");
    String messageId = ctx.queryParams().get("messageId");
    if (from != null && messageId != null) {
      return Future.failedFuture(new ApiException(400, "invalid_request", "Use either 'from' or 'messageId'."));
    }
    if (from != null) {
      if (!from.equals("start")) {
        return Future.failedFuture(new ApiException(400, "invalid_from", "'from' takes the value 'start'."));
      }
      return starts.startedAtNow(key).compose(startedAt -> startedAt.isEmpty()
          ? Future.succeededFuture(StreamStart.live()) // no message yet: nothing to replay
          : fromTime(partition, key, startedAt.getAsLong(), e -> true, Future.succeededFuture(StreamStart.live()), budget));
    }
    if (messageId != null) {
      return ofMessage(key, partition, messageId, budget);
    }
    return Future.succeededFuture(StreamStart.live());
  }

  /** From a message's first event (its {@code start}); 404 for a message the conversation never had. */
  Future<StreamStart> ofMessage(String key, int partition, String messageId, LookupBudget budget) {
    OptionalLong acceptedAt = ConversationIds.acceptedAt(messageId);
    if (acceptedAt.isEmpty()) {
      return Future.failedFuture(new ApiException(400, "invalid_message_id", "'messageId' is not a message id."));
    }
    Future<StreamStart> unknown = Future.failedFuture(
        new ApiException(404, "unknown_message", "This conversation has no such message."));
    // A message dated before its conversation began, or in the future, is unknown without reading the log.
    return starts.startedAtNow(key).compose(started ->
        !ConversationIds.couldBelong(acceptedAt.getAsLong(), started, clockSkew.toMillis(), System.currentTimeMillis())
            ? unknown
            : fromTime(partition, key, acceptedAt.getAsLong(), e -> e.messageId().equals(messageId), unknown, budget));
  }

  /**
   * After the client's last event, which must be one of this conversation's: in its partition, before the
   * partition's end, not before where the conversation's first event can be (the time it started, less
   * the clock-skew allowance), and keyed by the conversation — the last read is one record, the rest no
   * read at all, so a made-up id costs the gateway next to nothing. One gone to retention continues,
   * after a {@code reset}, from the oldest event kept.
   */
  private Future<StreamStart> afterEvent(String raw, String key, int partition, LookupBudget budget) {
    Optional<EventId> parsed = EventId.parse(raw);
    if (parsed.isEmpty()) {
      return Future.failedFuture(new ApiException(400, "invalid_last_event_id", "Last-Event-ID is not an event id."));
    }
    EventId id = parsed.get();
    ApiException notOurs = new ApiException(400, "invalid_last_event_id", "Last-Event-ID is not an event of this conversation.");
    if (id.partition() != partition) {
      return Future.failedFuture(notOurs);
    }
    if (id.offset() < live.liveNext(partition)) { // the common case, with no question to Kafka about bounds
      return ownedBy(id, key, partition, budget, notOurs, () -> lookups.bounds(partition).compose(bounds ->
          id.nextOffset() < bounds.begin()
              ? Future.succeededFuture(StreamStart.afterReset(bounds.begin(), RETENTION_RESET))
              : Future.failedFuture(notOurs)));
    }
    return lookups.bounds(partition).compose(bounds -> {
      if (id.offset() >= bounds.end()) {
        return Future.failedFuture(new ApiException(400, "invalid_last_event_id",
            "Last-Event-ID is beyond the end of the stream."));
      }
      if (id.nextOffset() < bounds.begin()) {
        return Future.succeededFuture(StreamStart.afterReset(bounds.begin(), RETENTION_RESET));
      }
      return ownedBy(id, key, partition, budget, notOurs, () -> Future.failedFuture(notOurs));
    });
  }

  /**
   * The id names an event of this conversation: not before where its first event can be (the time it
   * started, less the clock-skew allowance) and keyed by it — known at once for an event live delivery read
   * recently ({@link RecentEvents}), else by reading that one record. {@code before} says
   * what an id from before the conversation's first event gets: a reset when retention took it, else 400.
   */
  private Future<StreamStart> ownedBy(EventId id, String key, int partition, LookupBudget budget, ApiException notOurs,
                                      java.util.function.Supplier<Future<StreamStart>> before) {
    return starts.startedAtNow(key).compose(started -> {
      if (started.isEmpty()) {
        return Future.failedFuture(notOurs); // the conversation has no message, so no event
      }
      long firstEventTime = started.getAsLong() - clockSkew.toMillis();
      RecentEvents.Seen seen = live.seen(partition, id.offset());
      if (seen != null) { // a recent event, as the client that just got it reconnects: known without a read
        if (seen.keyHash() != key.hashCode()) {
          return Future.failedFuture(notOurs);
        }
        if (seen.timestamp() < firstEventTime) {
          return before.get();
        }
        // Still retained? Remembered is not kept: retention (or a deleteRecords) may have removed it since.
        if (id.part() != EventId.WHOLE && seen.events() > 0 && id.part() >= seen.events() - 1) {
          return Future.failedFuture(notOurs); // no such token before the record's last: the record was decoded here
        }
        return lookups.begin(partition).compose(begin -> id.nextOffset() < begin ? before.get()
            : id.part() == EventId.WHOLE || seen.events() > 0 ? Future.succeededFuture(StreamStart.after(id))
            : partOfRun(id, key, partition, budget, notOurs));
      }
      return lookups.offsetForTime(partition, firstEventTime).compose(first ->
          first.isEmpty() || id.offset() < first.get().offset()
              ? before.get()
              : id.part() != EventId.WHOLE ? partOfRun(id, key, partition, budget, notOurs)
              : lookups.keyOfEvent(partition, id.offset(), budget).compose(owner -> owner.isEmpty() || owner.get().equals(key)
                  ? Future.succeededFuture(StreamStart.after(id)) // empty: compacted or deleted meanwhile
                  : Future.failedFuture(notOurs)));
    });
  }

  /**
   * An id that names a token inside a record: the record must be this conversation's run of tokens, and the part one
   * before the run's last (whose id names the whole record). Reads that one record — only a resume that broke off
   * inside a run pays for it.
   */
  private Future<StreamStart> partOfRun(EventId id, String key, int partition, LookupBudget budget, ApiException notOurs) {
    return lookups.eventAt(partition, id.offset(), budget).compose(found -> {
      if (found.isEmpty()) { // deleted meanwhile: what follows it is all there is
        return Future.succeededFuture(StreamStart.after(id));
      }
      if (!key.equals(found.get().key())) {
        return Future.failedFuture(notOurs);
      }
      try {
        StreamEvent event = ProtocolCodec.decodeEvent(found.get().value());
        return event instanceof StreamEvent.Tokens run && id.part() < run.texts().size() - 1
            ? Future.succeededFuture(StreamStart.after(id)) : Future.failedFuture(notOurs);
      } catch (ProtocolException e) {
        return Future.failedFuture(notOurs);
      }
    });
  }


  /**
   * The position of the first event at or after {@code time} that {@code match}es: {@code offsetsForTimes}
   * finds where that time begins in the partition (less the clock-skew allowance), and a short scan
   * from there finds the event — no read from the partition's beginning.
   */
  private Future<StreamStart> fromTime(int partition, String key, long time, Predicate<StreamEvent> match,
                                       Future<StreamStart> whenAbsent, LookupBudget budget) {
    return lookups.bounds(partition).compose(bounds -> lookups
        .offsetForTime(partition, time - clockSkew.toMillis())
        .compose(found -> {
          if (found.isEmpty()) {
            return whenAbsent;
          }
          if (bounds.begin() > 0 && found.get().offset() == bounds.begin() && found.get().timestamp() > time) {
            return Future.succeededFuture(StreamStart.afterReset(bounds.begin(), RETENTION_RESET));
          }
          return lookups.locate(partition, found.get().offset(), () -> live.liveNext(partition), key, match, budget)
              .compose(offset -> offset.isPresent() ? Future.succeededFuture(StreamStart.from(offset.getAsLong())) : whenAbsent);
        }));
  }
}
