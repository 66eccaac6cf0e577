package dev.tokenrail.worker.generation;

import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.RequestRecord;
import dev.tokenrail.protocol.StreamEvent;
import dev.tokenrail.protocol.Topics;
import dev.tokenrail.protocol.TraceContext;
import dev.tokenrail.protocol.Turn;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;

/**
 * Writes for the conversation whose records have {@code key}, to its partition of every topic: events and
 * markers keyed by the conversation (so Kafka's partitioner puts them there), turns to memory partition
 * {@code partition} explicitly, since their key is the turn's, not the conversation's.
 */
public final class KafkaEventSink implements EventSink {

  private final KafkaProducer<String, Buffer> producer;
  private final EventSender events;
  private final Topics topics;
  private final String key;
  private final int partition;
  private final TurnsWritten memory;

  /** Keeps the worker's memory of the partition in step with the turns it writes. */
  public interface TurnsWritten {
    /** Before the turn is written: the next prompt sees it whether or not Kafka has acknowledged it yet. */
    void writing(Turn turn);

    /** Kafka has the turn at {@code offset} of the memory partition. */
    void stored(Turn turn, long offset);
  }

  /**
   * @param partition the conversation's partition ({@code Partitioning.partitionOf} its key)
   * @param memory    told of each turn written to memory partition {@code partition}
   */
  public KafkaEventSink(KafkaProducer<String, Buffer> producer, EventSender events, Topics topics, String key, int partition,
                        TurnsWritten memory) {
    this.producer = producer;
    this.events = events;
    this.topics = topics;
    this.key = key;
    this.partition = partition;
    this.memory = memory;
  }

  @Override
  public Future<Void> publish(StreamEvent event, TraceContext trace) {
    return events.send(topics.events(), key, event, trace);
  }

  @Override
  public void publishUnacknowledged(StreamEvent event, TraceContext trace, java.util.function.Consumer<Throwable> onFailure) {
    events.send(topics.events(), key, event, trace, (metadata, error) -> {
      if (error != null) {
        onFailure.accept(error);
      }
    });
  }

  @Override
  public Future<Void> remember(Turn turn) {
    memory.writing(turn);
    return producer.send(KafkaProducerRecord.create(topics.memory(),
            Turn.memoryKey(key, turn.messageId()), ProtocolCodec.encode(turn), turn.ts(), partition))
        .onSuccess(metadata -> memory.stored(turn, metadata.getOffset()))
        .mapEmpty();
  }

  @Override
  public Future<Void> erase(java.util.Collection<String> messageIds) {
    java.util.List<Future<?>> tombstones = new java.util.ArrayList<>();
    for (String messageId : messageIds) {
      tombstones.add(producer.send(KafkaProducerRecord.<String, Buffer>create(topics.memory(),
          Turn.memoryKey(key, messageId), null, System.currentTimeMillis(), partition)));
    }
    tombstones.add(producer.send(KafkaProducerRecord.<String, Buffer>create(topics.conversations(), key, null)));
    return Future.all(tombstones).mapEmpty();
  }

  @Override
  public Future<Void> mark(RequestRecord marker) {
    return producer.send(KafkaProducerRecord.create(topics.requests(), key,
        ProtocolCodec.encode(marker))).mapEmpty();
  }
}
