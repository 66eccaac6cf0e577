package dev.tokenrail.gateway;

import dev.tokenrail.model.KafkaSettings;
import dev.tokenrail.model.ProtocolCodec;
import dev.tokenrail.model.ProtocolException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.PartitionInfo;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When each conversation started, so {@code ?from=start} can find its first event with
 * {@code offsetsForTimes} instead of scanning a partition from its beginning.
 *
 * <p>The index is a compacted topic keyed by conversation, one small record each. Every gateway reads it
 * whole at start-up and follows it, like the events topic; a gateway writes a conversation's record when
 * it accepts a message of a conversation it does not know yet. Two gateways taking a conversation's first
 * two messages at once may both write; the start time then is one of the two, which the clock-skew
 * allowance of the lookup covers. Confined to the gateway's context.
 */
final class ConversationStarts {

  private static final Logger log = LoggerFactory.getLogger(ConversationStarts.class);

  private final Vertx vertx;
  private final KafkaSettings kafka;
  private final String clientId;
  private final KafkaProducer<String, Buffer> producer;
  private final Map<String, Long> startedAt = new HashMap<>();
  /** Partitions still being restored, and the end offset each had at start-up. */
  private final Map<Integer, Long> pendingEnds = new HashMap<>();
  /** Per partition, one past the last record applied (records may arrive before the ends are known). */
  private final Map<Integer, Long> appliedNext = new HashMap<>();
  private final Promise<Void> restoring = Promise.promise();
  private KafkaConsumer<String, Buffer> consumer;
  private boolean restored;

  ConversationStarts(Vertx vertx, KafkaSettings kafka, String clientId, KafkaProducer<String, Buffer> producer) {
    this.vertx = vertx;
    this.kafka = kafka;
    this.clientId = clientId;
    this.producer = producer;
  }

  /** Completes once the whole topic, as it was at start-up, has been read. */
  Future<Void> start() {
    Map<String, String> config = kafka.consumerConfig(clientId + "-starts");
    config.put("auto.offset.reset", "earliest");
    consumer = KafkaConsumer.create(vertx, config);
    consumer.exceptionHandler(e -> log.warn("Conversation index reader error: {}", e.toString()));
    consumer.handler(this::apply);
    String topic = kafka.topics().conversations();
    return consumer.partitionsFor(topic)
        .compose(infos -> {
          Set<TopicPartition> partitions = infos.stream()
              .map(PartitionInfo::getPartition).map(p -> new TopicPartition(topic, p)).collect(Collectors.toSet());
          return consumer.assign(partitions)
              .compose(v -> consumer.seekToBeginning(partitions))
              .compose(v -> consumer.endOffsets(partitions))
              .compose(this::awaitRestored);
        })
        .onSuccess(v -> {
          restored = true;
          log.info("Conversation index restored: {} conversations", startedAt.size());
        });
  }

  Future<Void> close() {
    return consumer == null ? Future.succeededFuture() : consumer.close();
  }

  boolean restored() {
    return restored;
  }

  OptionalLong startedAt(String kafkaKey) {
    Long t = startedAt.get(kafkaKey);
    return t == null ? OptionalLong.empty() : OptionalLong.of(t);
  }

  /** Records the conversation's start if this gateway has not seen one; completes once Kafka has it. */
  Future<Void> recordStart(String kafkaKey, long acceptedAt) {
    if (startedAt.containsKey(kafkaKey)) {
      return Future.succeededFuture();
    }
    startedAt.put(kafkaKey, acceptedAt);
    return producer.send(KafkaProducerRecord.create(kafka.topics().conversations(), kafkaKey,
            ProtocolCodec.encodeConversationStart(acceptedAt)))
        .onFailure(e -> startedAt.remove(kafkaKey, acceptedAt)) // not stored: the next message tries again
        .mapEmpty();
  }

  private void apply(KafkaConsumerRecord<String, Buffer> record) {
    appliedNext.put(record.partition(), record.offset() + 1);
    Long end = pendingEnds.get(record.partition());
    if (end != null && record.offset() + 1 >= end) {
      pendingEnds.remove(record.partition());
      if (pendingEnds.isEmpty()) {
        restoring.tryComplete();
      }
    }
    if (record.key() == null || record.value() == null) {
      return;
    }
    try {
      startedAt.merge(record.key(), ProtocolCodec.decodeConversationStart(record.value()), Math::min);
    } catch (ProtocolException e) {
      log.warn("Skipping a conversation index record that is not valid at {}@{}: {}",
          record.partition(), record.offset(), e.getMessage());
    }
  }

  /** Completes once a record at or past every partition's end as it was at start-up has been applied. */
  private Future<Void> awaitRestored(Map<TopicPartition, Long> ends) {
    ends.forEach((tp, end) -> {
      if (appliedNext.getOrDefault(tp.getPartition(), 0L) < end) {
        pendingEnds.put(tp.getPartition(), end);
      }
    });
    if (pendingEnds.isEmpty()) {
      restoring.tryComplete();
    }
    return restoring.future();
  }
}
