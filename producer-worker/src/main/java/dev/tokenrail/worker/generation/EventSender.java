package dev.tokenrail.worker.generation;

import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.StreamEvent;
import dev.tokenrail.protocol.TraceContext;
import dev.tokenrail.runtime.Telemetry;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Sends a worker verticle's events — every token of every answer — to Kafka in the order they are made, off the
 * event loop (a send may block while Kafka's buffer is full or its metadata is missing), with one hop to a worker
 * thread for every batch that piles up meanwhile instead of one per record. The client wrapper's send made a
 * worker-thread task and a completion back on the event loop for each record; at tens of thousands of tokens a
 * second those were a large part of a worker's CPU (performance.md).
 *
 * <p><b>Tokens that piled up share a record.</b> Of the events waiting when a batch is sent, an attempt's
 * consecutive tokens with nothing of their conversation between them become one {@link StreamEvent.Tokens}
 * record, up to {@code tokensPerRecord} tokens (and about {@value #MAX_RUN_CHARS} characters) a record. Nothing
 * waits to be coalesced: a token that finds the sender idle goes at once as a record of its own, so a lightly loaded
 * worker writes exactly what it did before, and only a worker whose tokens come faster than it sends them writes
 * fewer, larger records — the per-record work of worker, broker and gateway, not the token, is what saturated the
 * pipeline. Gateways send each token of a run as an event of its own.
 *
 * <p>All of a verticle's events go through its one sender, so a conversation's events reach its partition in the
 * order the generation made them, the terminal event after the tokens. Its tasks run on a lane of their own (a
 * one-thread executor): not behind the verticle's other blocking work (a memory read-back), and none of that behind
 * a send that waits on a full Kafka buffer. Encoding is done there too, off the event loop.
 */
public final class EventSender {

  /** Characters of text past which a run takes no more tokens: records stay far below Kafka's 1 MB. */
  static final int MAX_RUN_CHARS = 16_384;

  private record Pending(String topic, String key, StreamEvent event, TraceContext trace, Callback callback) {
  }

  private final Producer<String, Buffer> producer;
  private final ContextInternal context;
  private final WorkerExecutor lane;
  private final int tokensPerRecord;
  private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final Counter tokenRecords = Counter.builder("tokenrail.worker.token.records")
      .description("records the worker wrote that carry tokens: one token each, or a run of them (tokenrail.tokens.published ÷ this = tokens a record)")
      .register(Telemetry.registry());

  /**
   * @param context         the verticle's: its event loop hears the acknowledgements
   * @param lane            a one-thread executor of the sender's own, where the sends run in order
   * @param tokensPerRecord the most tokens one record may carry; 1 writes a record for every token
   */
  public EventSender(Producer<String, Buffer> producer, Context context, WorkerExecutor lane, int tokensPerRecord) {
    if (tokensPerRecord < 1 || tokensPerRecord > StreamEvent.Tokens.MAX_TOKENS) {
      throw new IllegalArgumentException("tokensPerRecord must be 1 to " + StreamEvent.Tokens.MAX_TOKENS);
    }
    this.producer = producer;
    this.context = (ContextInternal) context;
    this.lane = lane;
    this.tokensPerRecord = tokensPerRecord;
  }

  /** Sends {@code event} under {@code key}; the future completes on the verticle's context once Kafka has it. */
  public Future<Void> send(String topic, String key, StreamEvent event, TraceContext trace) {
    Promise<Void> acknowledged = context.promise();
    enqueue(new Pending(topic, key, event, trace, (metadata, error) -> {
      if (error == null) {
        acknowledged.tryComplete();
      } else {
        acknowledged.tryFail(error);
      }
    }));
    return acknowledged.future();
  }

  /** Sends with no acknowledgement back on the event loop: {@code callback} runs on Kafka's thread. */
  public void send(String topic, String key, StreamEvent event, TraceContext trace, Callback callback) {
    enqueue(new Pending(topic, key, event, trace, callback));
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
        p.callback().onCompletion(null, asException(e));
      }
    });
  }

  /** On the lane: every event queued so far, then again if more came while it finished. */
  private Void drain() {
    do {
      try {
        List<Pending> batch = new ArrayList<>();
        for (Pending p = queue.poll(); p != null; p = queue.poll()) {
          batch.add(p);
        }
        List<Outgoing> records;
        try {
          records = coalesce(batch);
        } catch (Throwable e) { // nothing of the batch is sent, and every event of it is told so
          batch.forEach(p -> p.callback().onCompletion(null, asException(e)));
          continue;
        }
        for (Outgoing out : records) {
          try {
            producer.send(out.record(), out.callback());
          } catch (Throwable e) { // the producer closed, or refused the record (or failed to encode it): this one fails
            out.callback().onCompletion(null, asException(e));
          }
        }
      } finally { // the next event schedules a drain again
        draining.set(false);
      }
    } while (!queue.isEmpty() && draining.compareAndSet(false, true));
    return null;
  }

  /**
   * The batch as records, in order: each conversation's consecutive tokens of one attempt, with nothing else of
   * that conversation between them, as runs. A run takes its place at its first token, which keeps each
   * conversation's order — anything else of the conversation closes its run, and a later token starts a new one.
   */
  private List<Outgoing> coalesce(List<Pending> batch) {
    List<Outgoing> out = new ArrayList<>(batch.size());
    Map<String, Run> open = new HashMap<>();
    for (Pending p : batch) {
      if (p.event() instanceof StreamEvent.Token token) {
        Run run = open.get(p.key());
        if (run != null && run.takes(p, token)) {
          run.add(token, p.callback());
          continue;
        }
        run = new Run(p, token);
        open.put(p.key(), run);
        out.add(run);
      } else {
        open.remove(p.key());
        out.add(new Single(p));
      }
    }
    return out;
  }

  private sealed interface Outgoing permits Single, Run {
    ProducerRecord<String, Buffer> record();

    Callback callback();
  }

  /** Any event but a token. */
  private record Single(Pending pending) implements Outgoing {
    public ProducerRecord<String, Buffer> record() {
      return EventSender.record(pending.topic(), pending.key(), pending.event(), pending.trace());
    }

    public Callback callback() {
      return pending.callback();
    }
  }

  /** An attempt's consecutive tokens, bound for one record: a lone token's own, when {@code tokensPerRecord} is 1. */
  private final class Run implements Outgoing {
    private final Pending first;
    private final List<String> texts = new ArrayList<>();
    private final List<Callback> callbacks = new ArrayList<>();
    private long nextSeq;
    private int chars;

    Run(Pending first, StreamEvent.Token token) {
      this.first = first;
      add(token, first.callback());
    }

    boolean takes(Pending p, StreamEvent.Token token) {
      StreamEvent head = first.event();
      return texts.size() < tokensPerRecord && chars < MAX_RUN_CHARS && token.seq() == nextSeq
          && token.attempt() == head.attempt() && token.messageId().equals(head.messageId())
          && p.topic().equals(first.topic());
    }

    void add(StreamEvent.Token token, Callback callback) {
      texts.add(token.text());
      callbacks.add(callback);
      nextSeq = token.seq() + 1;
      chars += token.text().length();
    }

    public ProducerRecord<String, Buffer> record() {
      tokenRecords.increment();
      StreamEvent head = first.event();
      StreamEvent event = texts.size() == 1 ? head // a lone token is written as it always was
          : new StreamEvent.Tokens(head.conversationId(), head.messageId(), head.attempt(), head.seq(), head.ts(), texts);
      return EventSender.record(first.topic(), first.key(), event, first.trace());
    }

    public Callback callback() {
      return callbacks.size() == 1 ? callbacks.get(0) : (metadata, error) -> {
        for (Callback c : callbacks) {
          c.onCompletion(metadata, error);
        }
      };
    }
  }

  private static Exception asException(Throwable e) {
    return e instanceof Exception ex ? ex : new IllegalStateException(e);
  }

  private static ProducerRecord<String, Buffer> record(String topic, String key, StreamEvent event, TraceContext trace) {
    ProducerRecord<String, Buffer> record = new ProducerRecord<>(topic, key, ProtocolCodec.encode(event));
    record.headers().add(TraceContext.HEADER, trace.header().getBytes(StandardCharsets.US_ASCII));
    return record;
  }
}
