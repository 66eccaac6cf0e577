package dev.tokenrail.gateway;

import dev.tokenrail.model.EventId;
import dev.tokenrail.model.KafkaSettings;
import dev.tokenrail.model.ProtocolCodec;
import dev.tokenrail.model.ProtocolException;
import dev.tokenrail.model.StreamEvent;
import io.vertx.core.Future;
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
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's one reader of the events topic. It {@code assign}s every partition (no consumer group,
 * so gateways never rebalance), starts at the end, and hands each record to the local subscribers of its
 * conversation. A record nobody here listens to costs one map lookup. Confined to the gateway's context.
 */
final class EventsReader {

  private static final Logger log = LoggerFactory.getLogger(EventsReader.class);

  private final Vertx vertx;
  private final KafkaSettings kafka;
  private final String clientId;
  private final Map<String, List<SseConnection>> subscribers = new HashMap<>();
  private KafkaConsumer<String, Buffer> consumer;
  private int partitionCount;
  private boolean assigned;

  EventsReader(Vertx vertx, KafkaSettings kafka, String clientId) {
    this.vertx = vertx;
    this.kafka = kafka;
    this.clientId = clientId;
  }

  /** Completes once every partition is assigned and its position is resolved to the current end. */
  Future<Void> start() {
    Map<String, String> config = kafka.consumerConfig(clientId);
    config.put("auto.offset.reset", "latest");
    // A token is worth delivering at once: answer a fetch as soon as any byte is there.
    config.put("fetch.min.bytes", "1");
    config.put("fetch.max.wait.ms", "100");
    consumer = KafkaConsumer.create(vertx, config);
    consumer.exceptionHandler(e -> log.warn("Events reader error: {}", e.toString()));
    consumer.handler(this::dispatch);
    String topic = kafka.topics().events();
    return consumer.partitionsFor(topic)
        .compose(infos -> {
          if (infos.isEmpty()) {
            return Future.failedFuture("topic " + topic + " does not exist");
          }
          Set<TopicPartition> partitions = infos.stream()
              .map(PartitionInfo::getPartition)
              .map(p -> new TopicPartition(topic, p))
              .collect(Collectors.toSet());
          partitionCount = partitions.size();
          return consumer.assign(partitions)
              .compose(v -> consumer.seekToEnd(partitions))
              .compose(v -> Future.all(partitions.stream().map(consumer::position).toList()));
        })
        .onSuccess(v -> {
          assigned = true;
          log.info("Events reader assigned all {} partitions of {}", partitionCount, topic);
        })
        .mapEmpty();
  }

  Future<Void> close() {
    return consumer == null ? Future.succeededFuture() : consumer.close();
  }

  boolean assigned() {
    return assigned;
  }

  int partitionCount() {
    return partitionCount;
  }

  void subscribe(String conversationKey, SseConnection connection) {
    subscribers.computeIfAbsent(conversationKey, k -> new ArrayList<>(1)).add(connection);
  }

  void unsubscribe(String conversationKey, SseConnection connection) {
    List<SseConnection> list = subscribers.get(conversationKey);
    if (list != null && list.remove(connection) && list.isEmpty()) {
      subscribers.remove(conversationKey);
    }
  }

  private void dispatch(KafkaConsumerRecord<String, Buffer> record) {
    List<SseConnection> listeners = subscribers.get(record.key());
    if (listeners == null) {
      return;
    }
    StreamEvent event;
    try {
      event = ProtocolCodec.decodeEvent(record.value());
    } catch (ProtocolException e) {
      log.warn("Skipping an events record that is not protocol v1 at {}-{}@{}: {}",
          record.topic(), record.partition(), record.offset(), e.getMessage());
      return;
    }
    // Forward the record's own bytes: validated once, never re-encoded.
    Buffer frame = SseFrames.event(new EventId(record.partition(), record.offset()).encode(),
        event.type().wireName(), record.value());
    // A copy: a client cut off while sending unsubscribes, which changes the list.
    for (SseConnection connection : listeners.toArray(new SseConnection[0])) {
      connection.send(frame);
    }
  }
}
