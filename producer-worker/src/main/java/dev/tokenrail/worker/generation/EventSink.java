package dev.tokenrail.worker.generation;

import dev.tokenrail.protocol.RequestRecord;
import dev.tokenrail.protocol.StreamEvent;
import dev.tokenrail.protocol.TraceContext;
import dev.tokenrail.protocol.Turn;
import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * Where a generation writes: events to the events topic, markers to the requests topic, turns to the
 * memory topic — all under one conversation's key (the key of its request records), so in its partition.
 */
public interface EventSink {

  /**
   * Completes once Kafka has acknowledged the event, which carries {@code trace} as its {@code traceparent}
   * header. Called on the verticle's context only.
   */
  Future<Void> publish(StreamEvent event, TraceContext trace);

  /**
   * Publishes an event no one waits on (a token): only a failure is told, to {@code onFailure}, on any thread. In
   * order with {@link #publish}.
   */
  default void publishUnacknowledged(StreamEvent event, TraceContext trace, java.util.function.Consumer<Throwable> onFailure) {
    publish(event, trace).onFailure(onFailure::accept);
  }

  /** Completes once Kafka has acknowledged the marker. Called on the verticle's context only. */
  Future<Void> mark(RequestRecord marker);

  /** Completes once Kafka has acknowledged the turn; the worker's memory has it at once. Verticle context only. */
  Future<Void> remember(Turn turn);

  /**
   * Erases the conversation from the compacted topics: a tombstone for each of its turns and for its start.
   * Completes once Kafka has them all. Verticle context only.
   */
  Future<Void> erase(java.util.Collection<String> messageIds);

  /**
   * Ends an answer. Memory first, then the terminal event, then the marker: each is written only once the
   * one before is stored — whoever sees the terminal event finds the turn in the transcript, and the
   * {@code ended} marker (after which the request's offset may be committed) follows both. The one place
   * this order is written, for a generation's end and for a message cancelled before it started.
   *
   * <p>Each write is tried until it is stored or {@code retry} gives up ({@link WriteRetry}): an answer
   * that ended while Kafka was away still ends, for its clients, its transcript and its partition's commits.
   *
   * @param terminalEvent made once the turn is stored
   * @param endedMarker   made once the terminal event is stored, so its timestamp is when the answer ended
   */
  default Future<Void> end(Turn endedTurn, Supplier<? extends StreamEvent> terminalEvent, TraceContext trace,
                           Supplier<RequestRecord.Ended> endedMarker, WriteRetry retry) {
    String of = endedTurn.conversationId() + "/" + endedTurn.messageId();
    return retry.persist("turn of " + of, () -> remember(endedTurn))
        .compose(v -> {
          StreamEvent event = terminalEvent.get();
          return retry.persist(event.type().wireName() + " of " + of, () -> publish(event, trace));
        })
        .compose(v -> {
          RequestRecord.Ended marker = endedMarker.get();
          return retry.persist("ended marker of " + of, () -> mark(marker));
        });
  }


  /**
   * A cancel that arrived before the message started: it ends, without generating, as the attempt that
   * would have come next (a terminal event alone, seq 0), and its turn is remembered as cancelled.
   */
  default Future<Void> cancelledBeforeStart(Turn pending, int attempt, TraceContext trace, WriteRetry retry) {
    return end(pending.ended(Turn.Status.CANCELLED, "", java.util.List.of(), attempt),
        () -> new StreamEvent.Cancelled(pending.conversationId(), pending.messageId(), attempt, 0,
            System.currentTimeMillis()),
        trace,
        () -> new RequestRecord.Ended(pending.conversationId(), pending.messageId(), attempt, "cancelled",
            System.currentTimeMillis()),
        retry);
  }
}
