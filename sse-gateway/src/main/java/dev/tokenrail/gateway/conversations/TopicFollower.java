package dev.tokenrail.gateway.conversations;

import dev.tokenrail.runtime.KafkaSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.PartitionInfo;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the partitions of a (compacted) topic that the gateway's group owns (every one, by default) from their
 * beginning and then follows them, handing each record
 * to a handler — the way a gateway keeps an index of a topic. Tells when the topic as it was at start-up
 * has been read, and when a partition has been read up to a given offset, so a caller can read its own
 * or another process's acknowledged writes. Confined to the gateway's context.
 */
final class TopicFollower {

  private static final Logger log = LoggerFactory.getLogger(TopicFollower.class);

  /** Someone waiting for a partition to be applied up to an offset. */
  private record Waiter(long offset, Promise<Void> promise) {
  }

  private final Vertx vertx;
  private final KafkaSettings kafka;
  private final String clientId;
  private final String topic;
  private final Consumer<KafkaConsumerRecord<String, Buffer>> handler;
  private final IntPredicate owned;
  /** Per partition, one past the last record applied (records may arrive before the ends are known). */
  private final Map<Integer, Long> appliedNext = new HashMap<>();
  private final Map<Integer, List<Waiter>> waiters = new HashMap<>();
  private KafkaConsumer<String, Buffer> consumer;
  private int partitionCount;
  private boolean restored;

  TopicFollower(Vertx vertx, KafkaSettings kafka, String clientId, String topic,
                Consumer<KafkaConsumerRecord<String, Buffer>> handler, IntPredicate owned) {
    this.owned = owned;
    this.vertx = vertx;
    this.kafka = kafka;
    this.clientId = clientId;
    this.topic = topic;
    this.handler = handler;
  }

  /** Completes once the topic's partitions read here, as they were at start-up, have been read. */
  Future<Void> start() {
    Map<String, String> config = kafka.consumerConfig(clientId);
    config.put("auto.offset.reset", "earliest");
    consumer = KafkaConsumer.create(vertx, config);
    consumer.exceptionHandler(e -> log.warn("Reader of {} failed: {}", topic, e.toString()));
    consumer.handler(this::apply);
    return consumer.partitionsFor(topic)
        .compose(infos -> {
          partitionCount = infos.size();
          Set<TopicPartition> partitions = infos.stream().map(PartitionInfo::getPartition).filter(owned::test)
              .map(p -> new TopicPartition(topic, p)).collect(Collectors.toSet());
          return consumer.assign(partitions)
              .compose(v -> consumer.seekToBeginning(partitions))
              .compose(v -> consumer.endOffsets(partitions))
              .compose(ends -> Future.all(ends.entrySet().stream()
                  .map(e -> appliedUpTo(e.getKey().getPartition(), e.getValue())).toList()));
        })
        .onSuccess(v -> restored = true)
        .mapEmpty();
  }

  Future<Void> close() {
    return consumer == null ? Future.succeededFuture() : consumer.close();
  }

  boolean restored() {
    return restored;
  }

  int partitionCount() {
    return partitionCount;
  }

  /**
   * Completes once every record of {@code partition} before {@code endOffset} has been handled. Only for a partition
   * read here: the gateway asks only about conversations its group serves.
   */
  Future<Void> appliedUpTo(int partition, long endOffset) {
    if (appliedNext.getOrDefault(partition, 0L) >= endOffset) {
      return Future.succeededFuture();
    }
    Promise<Void> promise = Promise.promise();
    waiters.computeIfAbsent(partition, p -> new ArrayList<>()).add(new Waiter(endOffset, promise));
    return promise.future();
  }

  private void apply(KafkaConsumerRecord<String, Buffer> record) {
    handler.accept(record);
    long next = record.offset() + 1;
    appliedNext.put(record.partition(), next);
    List<Waiter> waiting = waiters.get(record.partition());
    if (waiting != null) {
      waiting.removeIf(w -> {
        if (w.offset() <= next) {
          w.promise().complete();
          return true;
        }
        return false;
      });
    }
  }
}
