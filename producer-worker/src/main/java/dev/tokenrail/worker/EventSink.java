package dev.tokenrail.worker;

import dev.tokenrail.model.StreamEvent;
import io.vertx.core.Future;

/** Where a generation's events go: the events topic, keyed by conversation. */
@FunctionalInterface
interface EventSink {

  /** Completes once Kafka has acknowledged the event. Called on the verticle's context only. */
  Future<Void> publish(StreamEvent event);
}
