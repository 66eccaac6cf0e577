package dev.tokenrail.worker;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.tokenrail.model.ConversationIds;
import dev.tokenrail.model.MessageRequest;
import dev.tokenrail.model.ProtocolCodec;
import dev.tokenrail.model.ProtocolException;
import dev.tokenrail.model.RequestRecord;
import dev.tokenrail.model.StreamEvent;
import dev.tokenrail.worker.model.ChatModels;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers chat requests. Consumes the requests topic as a member of {@value WorkerConfig#GROUP_ID}, runs a
 * {@link Generation} per request — many at once, so a long answer never holds up another conversation of
 * the same partition — and publishes every event to the events topic keyed by conversation. A request's
 * offset is committed only after its terminal event and {@code ended} marker are acknowledged, in
 * offset order; a partition taken over from another worker is resumed from its markers
 * ({@link PartitionWork}).
 */
public final class WorkerVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(WorkerVerticle.class);

  private final WorkerConfig config;
  private final Map<TopicPartition, PartitionWork> partitions = new HashMap<>();
  /** Generations waiting for a free slot: at most {@code maxConcurrentGenerations} run at once. */
  private final ArrayDeque<Runnable> waitingToStart = new ArrayDeque<>();
  private StreamingChatModel model;
  private KafkaConsumer<String, Buffer> consumer;
  private KafkaProducer<String, Buffer> producer;
  private int inFlight;
  private boolean paused;
  /** Set on shutdown: nothing new starts and consumption stays paused while running answers drain. */
  private boolean draining;

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
    consumer.partitionsAssignedHandler(this::takeOver);
    consumer.partitionsRevokedHandler(this::abandonRevoked);
    consumer.handler(this::onRecord);
    vertx.setPeriodic(1_000, id -> checkTimeouts());
    log.info("Worker {} starting: {}", instanceId, config.model());
    return consumer.subscribe(config.kafka().topics().requests());
  }

  /**
   * Graceful shutdown (SIGTERM): take no more requests, let running generations finish within the drain
   * timeout (their offsets commit as they end), abandon what is left — the partition's next owner
   * answers it again as the next attempt — then leave the group.
   */
  @Override
  public Future<?> stop() {
    draining = true;
    waitingToStart.clear(); // not started, not committed: the partition's next owner answers them
    consumer.pause();
    List<Generation> running = partitions.values().stream().flatMap(w -> w.running.values().stream()).toList();
    if (!running.isEmpty()) {
      log.info("Draining {} running generations for up to {} s", running.size(), config.drainTimeout().toSeconds());
    }
    Promise<Void> drained = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, config.drainTimeout().toMillis()), id -> drained.tryComplete());
    Future.join(running.stream().map(Generation::finished).toList()).onComplete(ar -> {
      vertx.cancelTimer(timer);
      drained.tryComplete();
    });
    return drained.future()
        .compose(v -> {
          List<Generation> left = partitions.values().stream().flatMap(w -> w.running.values().stream()).toList();
          if (!left.isEmpty()) {
            log.info("Abandoning {} generations still running after the drain timeout", left.size());
            left.forEach(Generation::abandon);
          }
          return consumer.close();
        })
        .eventually(() -> producer.close());
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

  // ---- partitions coming and going ----

  /** Notes where each new partition ends now: what lies before may have been handled by its previous owner. */
  private void takeOver(Set<TopicPartition> assigned) {
    for (TopicPartition tp : assigned) {
      learnHistoryEnd(tp, partitions.computeIfAbsent(tp, PartitionWork::new));
    }
  }

  private void learnHistoryEnd(TopicPartition tp, PartitionWork work) {
    consumer.endOffsets(tp).onComplete(end -> {
      if (partitions.get(tp) != work || draining) {
        return; // revoked or stopping meanwhile
      }
      if (end.failed()) { // without it the partition's history can't be told from new requests: ask again
        log.warn("End offset of {} unknown ({}); asking again", tp, end.cause().toString());
        vertx.setTimer(1_000, id -> learnHistoryEnd(tp, work));
        return;
      }
      work.windowEnd(end.result());
      List<KafkaConsumerRecord<String, Buffer>> waiting = new ArrayList<>(work.waiting);
      work.waiting.clear();
      waiting.forEach(r -> process(work, r));
    });
  }

  /**
   * A revoked partition's requests now belong to another worker, which resumes them from their markers.
   * Running on here too would answer them twice, so their generations stop at once.
   */
  private void abandonRevoked(Set<TopicPartition> revoked) {
    for (TopicPartition tp : revoked) {
      PartitionWork work = partitions.remove(tp);
      if (work != null && !work.running.isEmpty()) {
        log.info("Partition {} revoked: abandoning {} running generations", tp, work.running.size());
        new ArrayList<>(work.running.values()).forEach(Generation::abandon);
      }
    }
  }

  // ---- records ----

  private void onRecord(KafkaConsumerRecord<String, Buffer> record) {
    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
    PartitionWork work = partitions.computeIfAbsent(tp, PartitionWork::new);
    if (!work.windowKnown()) {
      work.waiting.add(record);
      return;
    }
    process(work, record);
  }

  private void process(PartitionWork work, KafkaConsumerRecord<String, Buffer> record) {
    long offset = record.offset();
    work.offsets.track(offset);
    RequestRecord request;
    try {
      request = ProtocolCodec.decodeRequest(record.value());
    } catch (ProtocolException e) {
      deadLetter(record, e.getMessage()).onComplete(ar -> finished(work, offset));
      resolveHistory(work, offset);
      return;
    }
    if (request instanceof MessageRequest message) {
      if (work.mayBeRedelivered(offset)) {
        work.deferred.put(message.messageId(), new PartitionWork.Deferred(offset, message));
      } else {
        startWhenFree(work, offset, message, 1);
      }
    } else if (request instanceof RequestRecord.Cancel cancel) {
      Generation running = work.running.get(cancel.messageId());
      if (running != null) {
        running.cancel();
      } else if (work.deferred.containsKey(cancel.messageId())) {
        PartitionWork.Ledger ledger = work.ledgerOf(cancel.messageId());
        ledger.ended = true; // never started here: nothing more to generate
        PartitionWork.Deferred d = work.deferred.remove(cancel.messageId());
        publishCancelledUnstarted(d.request(), ledger.attempts + 1).onComplete(ar -> finished(work, d.offset()));
      }
      finished(work, offset);
    } else if (request instanceof RequestRecord.Started started) {
      PartitionWork.Ledger l = work.ledgerOf(started.messageId());
      l.attempts = Math.max(l.attempts, started.attempt());
      finished(work, offset);
    } else if (request instanceof RequestRecord.Ended ended) {
      work.ledgerOf(ended.messageId()).ended = true;
      finished(work, offset);
    }
    resolveHistory(work, offset);
  }

  /** Once the partition's history is read, each deferred message is skipped if it ended, else answered again. */
  private void resolveHistory(PartitionWork work, long offset) {
    if (work.deferred.isEmpty() || !work.historyRead(offset)) {
      return;
    }
    List<PartitionWork.Deferred> deferred = new ArrayList<>(work.deferred.values());
    work.deferred.clear();
    for (PartitionWork.Deferred d : deferred) {
      PartitionWork.Ledger l = work.ledgerOf(d.request().messageId());
      if (l.ended) {
        finished(work, d.offset());
      } else {
        if (l.attempts > 0) {
          log.info("Answering again: conversationId={} messageId={} attempt={}",
              d.request().conversationId(), d.request().messageId(), l.attempts + 1);
        }
        startWhenFree(work, d.offset(), d.request(), l.attempts + 1);
      }
    }
  }

  /** Queues a generation; it starts as soon as fewer than the maximum run. Consumption pauses meanwhile. */
  private void startWhenFree(PartitionWork work, long offset, MessageRequest request, int attempt) {
    waitingToStart.add(() -> generate(work, offset, request, attempt));
    startWaiting();
  }

  private void startWaiting() {
    if (draining) {
      return;
    }
    while (inFlight < config.maxConcurrentGenerations() && !waitingToStart.isEmpty()) {
      waitingToStart.poll().run();
    }
    if (!paused && inFlight + waitingToStart.size() >= config.maxConcurrentGenerations()) {
      paused = true;
      consumer.pause();
    } else if (paused && inFlight + waitingToStart.size() < config.maxConcurrentGenerations()) {
      paused = false;
      consumer.resume();
    }
  }

  private void generate(PartitionWork work, long offset, MessageRequest request, int attempt) {
    if (partitions.get(work.partition) != work) { // revoked while it waited: its new owner has it
      return;
    }
    Generation generation = new Generation(context, sink, model, config.model().displayName(), request, attempt,
        config.retry());
    work.running.put(request.messageId(), generation);
    inFlight++;
    generation.run().onComplete(ar -> {
      work.running.remove(request.messageId());
      inFlight--;
      startWaiting();
      if (ar.succeeded()) {
        work.ledgerOf(request.messageId()).ended = true;
        finished(work, offset);
      } else {
        log.warn("Request not committed: conversationId={} messageId={}: {}",
            request.conversationId(), request.messageId(), ar.cause().getMessage());
      }
    });
  }

  /**
   * A cancel that arrived before a redelivered message was started again: it ends, without generating,
   * as the attempt that would have come next (a terminal event alone, seq 0).
   */
  private Future<Void> publishCancelledUnstarted(MessageRequest request, int attempt) {
    return sink.publish(new StreamEvent.Cancelled(request.conversationId(), request.messageId(), attempt, 0,
            System.currentTimeMillis()))
        .compose(v -> sink.mark(new RequestRecord.Ended(request.conversationId(), request.messageId(), attempt,
            "cancelled", System.currentTimeMillis())));
  }

  /** The record at {@code offset} needs nothing more: commit past it once everything before it is done too. */
  private void finished(PartitionWork work, long offset) {
    if (partitions.get(work.partition) != work) { // revoked meanwhile; its new owner resumes it
      return;
    }
    work.offsets.finish(offset).ifPresent(next -> consumer.commit(Map.of(work.partition, new OffsetAndMetadata(next, "")))
        .onFailure(e -> log.warn("Commit of {} at {} failed: {}", work.partition, next, e.toString())));
  }

  /** Copies a record that is not protocol v1 to the dead-letter topic with the reason, so it never stalls its partition. */
  private Future<Void> deadLetter(KafkaConsumerRecord<String, Buffer> record, String reason) {
    log.warn("Dead-lettering a request record that is not protocol v1 at {}-{}@{}: {}",
        record.topic(), record.partition(), record.offset(), reason);
    KafkaProducerRecord<String, Buffer> copy = KafkaProducerRecord.create(config.kafka().topics().deadLetters(),
        record.key(), record.value() == null ? Buffer.buffer() : record.value());
    copy.addHeader("tokenrail-dlq-reason", Buffer.buffer(reason, StandardCharsets.UTF_8.name()));
    copy.addHeader("tokenrail-dlq-origin", record.topic() + "-" + record.partition() + "@" + record.offset());
    return producer.send(copy).mapEmpty();
  }

  private final EventSink sink = new EventSink() {
    @Override
    public Future<Void> publish(StreamEvent event) {
      return producer.send(KafkaProducerRecord.create(config.kafka().topics().events(),
          ConversationIds.kafkaKey(event.conversationId()), ProtocolCodec.encode(event))).mapEmpty();
    }

    @Override
    public Future<Void> mark(RequestRecord marker) {
      return producer.send(KafkaProducerRecord.create(config.kafka().topics().requests(),
          ConversationIds.kafkaKey(marker.conversationId()), ProtocolCodec.encode(marker))).mapEmpty();
    }
  };

  private void checkTimeouts() {
    long now = System.currentTimeMillis();
    for (PartitionWork work : partitions.values()) {
      for (Generation g : new ArrayList<>(work.running.values())) {
        g.checkTimeouts(now, config.idleTimeout().toMillis(), config.maxGenerationTime().toMillis());
      }
    }
  }

}
