package dev.tokenrail.worker;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.tokenrail.model.ConversationIds;
import dev.tokenrail.model.MessageRequest;
import dev.tokenrail.model.ProtocolCodec;
import dev.tokenrail.model.ProtocolException;
import dev.tokenrail.model.StreamEvent;
import dev.tokenrail.worker.model.ChatModels;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers chat requests. Consumes the requests topic as a member of {@value WorkerConfig#GROUP_ID}, runs a
 * {@link Generation} per request — many at once, so a long answer never holds up another conversation of
 * the same partition — and publishes every event to the events topic keyed by conversation. A request's
 * offset is committed only after its terminal event is acknowledged, in offset order.
 */
public final class WorkerVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(WorkerVerticle.class);

  private final WorkerConfig config;
  private final Map<TopicPartition, OffsetTracker> offsets = new HashMap<>();
  private final Map<TopicPartition, Set<Generation>> running = new HashMap<>();
  private StreamingChatModel model;
  private KafkaConsumer<String, Buffer> consumer;
  private KafkaProducer<String, Buffer> producer;
  private int inFlight;
  private boolean paused;

  public WorkerVerticle(WorkerConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    String instanceId = "worker-" + UUID.randomUUID().toString().substring(0, 8);
    model = ChatModels.create(config.model());
    producer = KafkaProducer.create(vertx, config.kafka().producerConfig(instanceId));
    consumer = KafkaConsumer.create(vertx, consumerConfig(instanceId));
    consumer.exceptionHandler(e -> log.warn("Requests consumer error: {}", e.toString()));
    consumer.partitionsRevokedHandler(this::abandonRevoked);
    consumer.handler(this::onRequest);
    log.info("Worker {} starting: {}", instanceId, config.model());
    return consumer.subscribe(config.kafka().topics().requests());
  }

  @Override
  public Future<?> stop() {
    running.values().forEach(gens -> gens.forEach(Generation::abandon));
    return consumer.close().eventually(() -> producer.close());
  }

  private Map<String, String> consumerConfig(String instanceId) {
    Map<String, String> c = config.kafka().consumerConfig(instanceId);
    c.put("group.id", WorkerConfig.GROUP_ID);
    // Kafka 4's consumer group protocol: incremental, broker-driven assignment, so adding a worker moves
    // only the partitions it takes over instead of stopping the whole group.
    c.put("group.protocol", "consumer");
    // A new group starts from the oldest request: nothing accepted before the first worker started is lost.
    c.put("auto.offset.reset", "earliest");
    return c;
  }

  private void onRequest(KafkaConsumerRecord<String, Buffer> record) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    long offset = record.offset();
    offsets.computeIfAbsent(partition, p -> new OffsetTracker()).track(offset);
    MessageRequest request;
    try {
      request = ProtocolCodec.decodeRequest(record.value());
    } catch (ProtocolException e) {
      log.warn("Skipping a request record that is not protocol v1 at {}-{}@{}: {}",
          record.topic(), record.partition(), offset, e.getMessage());
      finished(partition, offset);
      return;
    }
    startGeneration(partition, offset, request);
  }

  private void startGeneration(TopicPartition partition, long offset, MessageRequest request) {
    Generation generation = new Generation(context, this::publish, model, config.model().displayName(), request, 1);
    running.computeIfAbsent(partition, p -> new HashSet<>()).add(generation);
    inFlight++;
    pauseWhenBusy();
    generation.run().onComplete(ar -> {
      Set<Generation> gens = running.get(partition);
      if (gens != null) {
        gens.remove(generation);
      }
      inFlight--;
      resumeWhenFree();
      if (ar.succeeded()) {
        finished(partition, offset);
      } else {
        log.warn("Request not committed: conversationId={} messageId={}: {}",
            request.conversationId(), request.messageId(), ar.cause().getMessage());
      }
    });
  }

  private Future<Void> publish(StreamEvent event) {
    String key = ConversationIds.kafkaKey(event.conversationId());
    return producer.send(KafkaProducerRecord.create(config.kafka().topics().events(), key, ProtocolCodec.encode(event)))
        .mapEmpty();
  }

  private void finished(TopicPartition partition, long offset) {
    OffsetTracker tracker = offsets.get(partition);
    if (tracker == null) { // the partition was revoked meanwhile; its new owner redoes the request
      return;
    }
    tracker.finish(offset).ifPresent(next -> consumer.commit(Map.of(partition, new OffsetAndMetadata(next, "")))
        .onFailure(e -> log.warn("Commit of {} at {} failed: {}", partition, next, e.toString())));
  }

  /**
   * A revoked partition's requests now belong to another worker, which starts them from the last committed
   * offset. Running on here too would answer them twice, so their generations stop at once.
   */
  private void abandonRevoked(Set<TopicPartition> revoked) {
    for (TopicPartition partition : revoked) {
      offsets.remove(partition);
      Set<Generation> gens = running.remove(partition);
      if (gens != null && !gens.isEmpty()) {
        log.info("Partition {} revoked: abandoning {} running generations", partition, gens.size());
        gens.forEach(Generation::abandon);
      }
    }
  }

  private void pauseWhenBusy() {
    if (!paused && inFlight >= config.maxConcurrentGenerations()) {
      paused = true;
      consumer.pause();
    }
  }

  private void resumeWhenFree() {
    if (paused && inFlight < config.maxConcurrentGenerations()) {
      paused = false;
      consumer.resume();
    }
  }
}
