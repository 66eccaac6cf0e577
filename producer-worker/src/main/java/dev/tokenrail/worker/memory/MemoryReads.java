package dev.tokenrail.worker.memory;

import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.ProtocolException;
import dev.tokenrail.protocol.Turn;
import dev.tokenrail.runtime.KafkaSettings;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a conversation's turns back from the memory topic by their offsets, for a conversation whose turns
 * the worker let go ({@link RecentTurns}). One consumer per verticle, no group; blocking, one read at a
 * time: run it on a worker thread.
 */
public final class MemoryReads implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MemoryReads.class);
  private static final Duration POLL = Duration.ofMillis(100);
  /** A read that has not found its records by then fails; the worker tries again. */
  private static final long DEADLINE_MILLIS = 10_000;

  private final String topic;
  private final KafkaConsumer<String, byte[]> consumer;

  public MemoryReads(KafkaSettings kafka, String clientId) {
    this.topic = kafka.topics().memory();
    Map<String, Object> config = new HashMap<>(kafka.consumerConfig(clientId + "-memory-reads"));
    config.put("key.deserializer", StringDeserializer.class.getName());
    config.put("value.deserializer", ByteArrayDeserializer.class.getName());
    config.put("max.poll.records", "100");
    // It seeks to offsets it knows; one that compaction or retention removed reads on from the next kept.
    config.put("auto.offset.reset", "earliest");
    // A read-back wants a few records at each offset, not the megabyte after it.
    config.put("max.partition.fetch.bytes", "262144");
    this.consumer = new KafkaConsumer<>(config);
  }

  /**
   * Reads back the turns of a conversation {@code memory} let go, on a worker thread, and gives them to it;
   * completes at once when they are at hand. A memory released meanwhile (its partition revoked) ignores them.
   */
  public io.vertx.core.Future<Void> readBack(io.vertx.core.Vertx vertx, ConversationMemory memory, int partition,
                                             String conversationKey) {
    if (memory.atHand(conversationKey)) {
      return io.vertx.core.Future.succeededFuture();
    }
    NavigableSet<Long> offsets = memory.toReload(conversationKey);
    return vertx.executeBlocking(() -> read(partition, conversationKey, offsets))
        .map(turns -> {
          memory.reloaded(conversationKey, turns);
          return null;
        });
  }

  /**
   * The conversation's turns at {@code offsets} of memory partition {@code partition}, read with as few
   * seeks as they allow. An offset compaction emptied since is left out (a later record of that turn
   * replaced it, and its offset is in the set too).
   */
  public synchronized List<Turn> read(int partition, String conversationKey, NavigableSet<Long> offsets) {
    List<Turn> turns = new ArrayList<>();
    if (offsets.isEmpty()) {
      return turns;
    }
    TopicPartition tp = new TopicPartition(topic, partition);
    consumer.assign(List.of(tp));
    long deadline = System.currentTimeMillis() + DEADLINE_MILLIS;
    Long next = offsets.first();
    while (next != null) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("memory of " + conversationKey + " not read back within " + DEADLINE_MILLIS + " ms");
      }
      consumer.seek(tp, next);
      ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
      if (records.isEmpty()) {
        continue;
      }
      long last = next - 1;
      for (ConsumerRecord<String, byte[]> r : records) {
        last = r.offset();
        if (offsets.contains(last) && r.value() != null && Turn.conversationKeyOf(r.key()).map(conversationKey::equals).orElse(false)) {
          try {
            turns.add(ProtocolCodec.decodeTurn(Buffer.buffer(r.value())));
          } catch (ProtocolException e) {
            log.warn("Skipping a memory record that is not valid at {}@{}: {}", partition, r.offset(), e.getMessage());
          }
        }
      }
      next = offsets.higher(Math.max(last, next));
    }
    return turns;
  }

  @Override
  public synchronized void close() {
    consumer.close();
  }
}
