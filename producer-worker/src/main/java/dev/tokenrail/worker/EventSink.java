package dev.tokenrail.worker;

import dev.tokenrail.protocol.RequestRecord;
import dev.tokenrail.protocol.StreamEvent;
import dev.tokenrail.protocol.TraceContext;
import dev.tokenrail.protocol.Turn;
import io.vertx.core.Future;

/**
 * Where a generation writes: events to the events topic, markers to the requests topic, turns to the
 * memory topic — all under one conversation's key (the key of its request records), so in its partition.
 */
interface EventSink {

  /**
   * Completes once Kafka has acknowledged the event, which carries {@code trace} as its {@code traceparent}
   * header. Called on the verticle's context only.
   */
  Future<Void> publish(StreamEvent event, TraceContext trace);

  /** Completes once Kafka has acknowledged the marker. Called on the verticle's context only. */
  Future<Void> mark(RequestRecord marker);

  /** Completes once Kafka has acknowledged the turn; the worker's memory has it at once. Verticle context only. */
  Future<Void> remember(Turn turn);
}
