package dev.tokenrail.worker.generation;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Sends a worker verticle's event records — every token of every answer — to Kafka in the order they are
 * made, off the event loop (a send may block while Kafka's buffer is full or its metadata is missing), with
 * one hop to a worker thread for every batch that piles up meanwhile instead of one per record. The client
 * wrapper's send made a worker-thread task and a completion back on the event loop for each record; at tens of
 * thousands of tokens a second those were a large part of a worker's CPU (performance.md).
 *
 * <p>All of a verticle's event records go through its one sender, so a conversation's events reach its
 * partition in the order the generation made them, the terminal event after the tokens. Its tasks run on a
 * lane of their own (a one-thread executor): not behind the verticle's other blocking work (a memory read-back),
 * and none of that behind a send that waits on a full Kafka buffer.
 */
public final class EventSender {

  private record Pending(ProducerRecord<String, Buffer> record, Callback callback) {
  }

  private final Producer<String, Buffer> producer;
  private final ContextInternal context;
  private final WorkerExecutor lane;
  private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean draining = new AtomicBoolean();

  /**
   * @param context the verticle's: its event loop hears the acknowledgements
   * @param lane    a one-thread executor of the sender's own, where the sends run in order
   */
  public EventSender(Producer<String, Buffer> producer, Context context, WorkerExecutor lane) {
    this.producer = producer;
    this.context = (ContextInternal) context;
    this.lane = lane;
  }

  /** Sends; the future completes on the verticle's context once Kafka has the record. */
  public Future<Void> send(ProducerRecord<String, Buffer> record) {
    Promise<Void> acknowledged = context.promise();
    enqueue(new Pending(record, (metadata, error) -> {
      if (error == null) {
        acknowledged.tryComplete();
      } else {
        acknowledged.tryFail(error);
      }
    }));
    return acknowledged.future();
  }

  /** Sends with no acknowledgement back on the event loop: {@code callback} runs on Kafka's thread. */
  public void send(ProducerRecord<String, Buffer> record, Callback callback) {
    enqueue(new Pending(record, callback));
  }

  private void enqueue(Pending pending) {
    queue.add(pending);
    if (draining.compareAndSet(false, true)) {
      schedule();
    }
  }

  private void schedule() {
    lane.executeBlocking(this::drain, true).onFailure(e -> { // the lane closed (the verticle stops): nothing sends
      draining.set(false);
      for (Pending p = queue.poll(); p != null; p = queue.poll()) {
        p.callback().onCompletion(null, e instanceof Exception ex ? ex : new IllegalStateException(e));
      }
    });
  }

  /** On the lane: every record queued so far, then again if more came while it finished. */
  private Void drain() {
    do {
      try {
        for (Pending p = queue.poll(); p != null; p = queue.poll()) {
          try {
            producer.send(p.record(), p.callback());
          } catch (RuntimeException e) { // the producer closed, or refused the record before sending it
            p.callback().onCompletion(null, e);
          }
        }
      } finally { // whatever escaped (an Error), the next record schedules a drain again
        draining.set(false);
      }
    } while (!queue.isEmpty() && draining.compareAndSet(false, true));
    return null;
  }
}
