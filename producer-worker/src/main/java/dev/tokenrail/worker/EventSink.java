package dev.tokenrail.worker;

import dev.tokenrail.model.RequestRecord;
import dev.tokenrail.model.StreamEvent;
import io.vertx.core.Future;

/** Where a generation writes: events to the events topic, markers to the requests topic; keyed by conversation. */
interface EventSink {

  /** Completes once Kafka has acknowledged the event. Called on the verticle's context only. */
  Future<Void> publish(StreamEvent event);

  /** Completes once Kafka has acknowledged the marker. Called on the verticle's context only. */
  Future<Void> mark(RequestRecord marker);
}
