package dev.tokenrail.worker.memory;

import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.ProtocolException;
import dev.tokenrail.protocol.Turn;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads memory partitions from their beginning to their end as it is when the read starts — how Kafka
 * Streams restores a state store from its changelog. Blocking: run it on a worker thread.
 */
public final class MemoryRestore {

  private static final Logger log = LoggerFactory.getLogger(MemoryRestore.class);
  private static final Duration POLL = Duration.ofMillis(200);
  /** A restore gives up after this long without reading a record — not after this long in all. */
  private static final long PATIENCE_MILLIS = 60_000;

  private MemoryRestore() {
  }

  /**
   * Each partition's memory, restored, holding the turns of at most {@code maxConversations} conversations
   * (those whose first record in the topic came last: one let go while reading is not held again, since its
   * earlier turns are behind), the others indexed only, read back on their next message; throws if a minute passes without a record read. A large memory
   * topic takes as long as it takes to read: a fixed deadline made its restore fail, and start again
   * from scratch, forever.
   */
  public static Map<Integer, ConversationMemory> restore(KafkaSettings kafka, String clientId, Set<Integer> partitions,
                                                         int keepTurns, int maxConversations) {
    String topic = kafka.topics().memory();
    Map<String, Object> config = new HashMap<>(kafka.consumerConfig(clientId + "-memory-restore"));
    config.put("key.deserializer", StringDeserializer.class.getName());
    config.put("value.deserializer", ByteArrayDeserializer.class.getName());
    config.put("max.poll.records", "2000");
    Map<Integer, ConversationMemory> restored = new HashMap<>();
    RecentTurns recent = new RecentTurns(maxConversations); // the newest conversations' turns, for all of them
    partitions.forEach(p -> restored.put(p, new ConversationMemory(keepTurns, recent)));
    long started = System.currentTimeMillis();
    int records = 0;
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
      List<TopicPartition> tps = partitions.stream().map(p -> new TopicPartition(topic, p)).toList();
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      Map<TopicPartition, Long> ends = consumer.endOffsets(tps);
      Set<TopicPartition> left = new HashSet<>();
      for (TopicPartition tp : tps) {
        if (consumer.position(tp) < ends.get(tp)) {
          left.add(tp);
        }
      }
      long lastProgress = System.currentTimeMillis();
      while (!left.isEmpty()) {
        if (System.currentTimeMillis() - lastProgress > PATIENCE_MILLIS) {
          throw new IllegalStateException("memory partitions " + left + " read nothing for " + PATIENCE_MILLIS + " ms");
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
          records++;
          lastProgress = System.currentTimeMillis();
          apply(restored.get(r.partition()), r);
        }
        left.removeIf(tp -> consumer.position(tp) >= ends.get(tp));
      }
    }
    log.info("Restored memory partitions {} in {} ms: {} records", partitions, System.currentTimeMillis() - started,
        records);
    return restored;
  }

  private static void apply(ConversationMemory memory, ConsumerRecord<String, byte[]> r) {
    if (r.value() == null) { // an erased turn (a deleted or expired conversation), until compaction drops it
      Turn.conversationKeyOf(r.key()).ifPresent(key -> memory.remove(key, r.key().substring(key.length() + 1)));
      return;
    }
    try {
      Turn turn = ProtocolCodec.decodeTurn(io.vertx.core.buffer.Buffer.buffer(r.value()));
      Turn.conversationKeyOf(r.key()).ifPresent(key -> memory.apply(key, turn, r.offset()));
    } catch (ProtocolException e) {
      log.warn("Skipping a memory record that is not valid at {}@{}: {}", r.partition(), r.offset(), e.getMessage());
    }
  }
}
