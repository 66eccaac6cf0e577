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
  private static final long PATIENCE_MILLIS = 60_000;

  private MemoryRestore() {
  }

  /** Each partition's memory, restored; throws if the end is not reached within a minute. */
  public static Map<Integer, ConversationMemory> restore(KafkaSettings kafka, String clientId, Set<Integer> partitions,
                                                         int keepTurns) {
    String topic = kafka.topics().memory();
    Map<String, Object> config = new HashMap<>(kafka.consumerConfig(clientId + "-memory-restore"));
    config.put("key.deserializer", StringDeserializer.class.getName());
    config.put("value.deserializer", ByteArrayDeserializer.class.getName());
    config.put("max.poll.records", "2000");
    Map<Integer, ConversationMemory> restored = new HashMap<>();
    partitions.forEach(p -> restored.put(p, new ConversationMemory(keepTurns)));
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
      while (!left.isEmpty()) {
        if (System.currentTimeMillis() - started > PATIENCE_MILLIS) {
          throw new IllegalStateException("memory partitions " + left + " not restored within " + PATIENCE_MILLIS + " ms");
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
          records++;
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
    if (r.value() == null) {
      return; // a tombstone; Tokenrail writes none, a deleted turn simply stays out
    }
    try {
      Turn turn = ProtocolCodec.decodeTurn(io.vertx.core.buffer.Buffer.buffer(r.value()));
      Turn.conversationKeyOf(r.key()).ifPresent(key -> memory.apply(key, turn));
    } catch (ProtocolException e) {
      log.warn("Skipping a memory record that is not valid at {}@{}: {}", r.partition(), r.offset(), e.getMessage());
    }
  }
}
