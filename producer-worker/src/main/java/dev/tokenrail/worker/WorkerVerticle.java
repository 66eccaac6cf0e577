package dev.tokenrail.worker;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.ProtocolException;
import dev.tokenrail.protocol.RequestRecord;
import dev.tokenrail.protocol.StreamEvent;
import dev.tokenrail.runtime.MeterScope;
import dev.tokenrail.runtime.Telemetry;
import dev.tokenrail.protocol.TraceContext;
import dev.tokenrail.protocol.Turn;
import io.micrometer.core.instrument.Gauge;
import dev.tokenrail.worker.memory.MemoryRestore;
import dev.tokenrail.worker.tools.Toolbox;
import dev.langchain4j.data.message.ChatMessage;
import io.vertx.core.WorkerExecutor;
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
 *
 * <p>Memory: owning requests partition p means owning memory partition p. It is restored when p is
 * assigned, before any of p's records is processed; from then on this worker is its only writer.
 */
public final class WorkerVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(WorkerVerticle.class);

  private final WorkerConfig config;
  private final Map<TopicPartition, PartitionWork> partitions = new HashMap<>();
  /** Generations waiting for a free slot: at most {@code maxConcurrentGenerations} run at once. */
  private final ArrayDeque<Runnable> waitingToStart = new ArrayDeque<>();
  private StreamingChatModel model;
  private Toolbox toolbox;
  private WorkerExecutor toolExecutor;
  private String instanceId;
  /** Partitions of the requests topic (and so of the memory topic), learned at start. */
  private int partitionCount;
  private final WorkerMetrics metrics = new WorkerMetrics();
  private final MeterScope meters = new MeterScope();
  private KafkaConsumer<String, Buffer> consumer;
  private KafkaProducer<String, Buffer> producer;
  private int inFlight;
  private boolean paused;
  /** Offsets finished and not yet committed, per partition; see {@link #commitPending}. */
  private final Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
  private Future<Void> committing;
  /** Set on shutdown: nothing new starts and consumption stays paused while running answers drain. */
  private boolean draining;

  public WorkerVerticle(WorkerConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    instanceId = "worker-" + UUID.randomUUID().toString().substring(0, 8);
    model = ChatModels.create(config.model());
    toolExecutor = vertx.createSharedWorkerExecutor("tokenrail-tools", 8);
    toolbox = new Toolbox(config.chat().tools(), toolExecutor, config.chat().toolTimeout());
    producer = KafkaProducer.create(vertx, config.kafka().producerConfig(instanceId));
    consumer = KafkaConsumer.create(vertx, consumerConfig(instanceId));
    consumer.exceptionHandler(e -> log.warn("Requests consumer error: {}", e.toString()));
    consumer.partitionsAssignedHandler(this::takeOver);
    consumer.partitionsRevokedHandler(this::abandonRevoked);
    consumer.handler(this::onRecord);
    meters.bindKafka(producer.unwrap());
    meters.bindKafka(consumer.unwrap());
    meters.add(Gauge.builder("tokenrail.generations.active", this, w -> w.inFlight)
        .description("generations running").tag("worker", instanceId).register(Telemetry.registry()));
    vertx.setPeriodic(1_000, id -> checkTimeouts());
    log.info("Worker {} starting: {}, tools {}", instanceId, config.model(),
        config.chat().tools().stream().map(t -> t.name()).toList());
    return checkPartitionCounts().compose(v -> consumer.subscribe(config.kafka().topics().requests()));
  }

  /** Memory partition p must hold the conversations of requests partition p: their counts must agree. */
  private Future<Void> checkPartitionCounts() {
    String requests = config.kafka().topics().requests();
    String memory = config.kafka().topics().memory();
    return consumer.partitionsFor(requests).compose(r -> consumer.partitionsFor(memory).compose(m -> {
      if (r.isEmpty() || r.size() != m.size()) {
        return Future.failedFuture(new IllegalStateException("topic " + memory + " has " + m.size()
            + " partitions and " + requests + " has " + r.size() + "; they must be equal and not zero"));
      }
      partitionCount = r.size();
      return Future.succeededFuture();
    }));
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
          return commitPending().transform(ar -> consumer.close()); // what finished while draining
        })
        .eventually(() -> {
          meters.close();
          return producer.close();
        })
        .eventually(() -> toolExecutor.close());
  }

  private Map<String, String> consumerConfig(String instanceId) {
    Map<String, String> c = config.kafka().consumerConfig(instanceId);
    c.put("group.id", WorkerConfig.GROUP_ID);
    // The classic group protocol with cooperative rebalancing: adding or removing a worker moves only the
    // partitions that change owner, and nobody else stops. Kafka 4's consumer protocol (KIP-848) would do
    // the same broker-side, but through vertx-kafka-client it delivered requests 250-950 ms late (measured
    // accepted -> start: 24-38 ms classic, 266-940 ms consumer), most of the time to first token.
    c.put("group.protocol", "classic");
    c.put("partition.assignment.strategy", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    // A dead worker's partitions move after 10 s without a heartbeat (Kafka's default is 45 s).
    c.put("session.timeout.ms", "10000");
    c.put("heartbeat.interval.ms", "3000");
    // A new group starts from the oldest request: nothing accepted before the first worker started is lost.
    c.put("auto.offset.reset", "earliest");
    // A message waits for a fetch to return: the broker's default of up to 500 ms would be most of the time
    // to first token (measured: 300-580 ms from accepted to start). 10 ms costs idle fetches, no latency.
    c.put("fetch.max.wait.ms", "10");
    return c;
  }

  // ---- partitions coming and going ----

  /**
   * Notes where each new partition ends now — what lies before may have been handled by its previous
   * owner — and restores its memory. Its records wait until both are done.
   */
  private void takeOver(Set<TopicPartition> assigned) {
    List<PartitionWork> taken = new ArrayList<>();
    for (TopicPartition tp : assigned) {
      PartitionWork work = partitions.computeIfAbsent(tp, PartitionWork::new);
      taken.add(work);
      learnHistoryEnd(tp, work);
    }
    if (!taken.isEmpty()) {
      restoreMemory(taken);
    }
  }

  private void restoreMemory(List<PartitionWork> works) {
    Set<Integer> numbers = new java.util.TreeSet<>();
    works.forEach(w -> numbers.add(w.partition.getPartition()));
    int keep = config.chat().memory().turnsToKeep();
    vertx.executeBlocking(() -> MemoryRestore.restore(config.kafka(), instanceId, numbers, keep), false)
        .onComplete(restored -> {
          List<PartitionWork> current = works.stream().filter(w -> partitions.get(w.partition) == w).toList();
          if (current.isEmpty() || draining) {
            return; // revoked or stopping meanwhile
          }
          if (restored.failed()) { // without memory no prompt would be complete: try again
            log.warn("Memory of partitions {} not restored ({}); trying again", numbers, restored.cause().toString());
            vertx.setTimer(1_000, id -> restoreMemory(current));
            return;
          }
          for (PartitionWork work : current) {
            work.memory = restored.result().get(work.partition.getPartition());
            processWaiting(work);
          }
        });
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
      processWaiting(work);
    });
  }

  private void processWaiting(PartitionWork work) {
    if (!work.ready()) {
      return;
    }
    List<KafkaConsumerRecord<String, Buffer>> waiting = new ArrayList<>(work.waiting);
    work.waiting.clear();
    waiting.forEach(r -> process(work, r));
  }

  /**
   * A revoked partition's requests now belong to another worker, which resumes them from their markers.
   * Running on here too would answer them twice, so their generations stop at once.
   */
  private void abandonRevoked(Set<TopicPartition> revoked) {
    for (TopicPartition tp : revoked) {
      PartitionWork work = partitions.remove(tp);
      toCommit.remove(tp); // its new owner commits from here on
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
    if (!work.ready()) {
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
      if (record.key() == null) { // a conversation's records are keyed: this one belongs to none
        throw new ProtocolException("a request record needs the conversation's key");
      }
      request = ProtocolCodec.decodeRequest(record.value());
    } catch (ProtocolException e) {
      deadLetter(record, e.getMessage()).onComplete(ar -> finished(work, offset));
      resolveHistory(work, offset);
      return;
    }
    if (request instanceof MessageRequest message) {
      TraceContext trace = traceOf(record);
      if (work.mayBeRedelivered(offset)) {
        work.deferred.put(message.messageId(), new PartitionWork.Deferred(offset, record.key(), message, trace));
      } else {
        admit(work, offset, record.key(), message, 1, trace);
      }
    } else if (request instanceof RequestRecord.Cancel cancel) {
      cancel(work, record.key(), cancel);
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
        admit(work, d.offset(), d.key(), d.request(), l.attempts + 1, d.trace());
      }
    }
  }

  /**
   * Takes a message to answer: writes its pending turn (so the transcript shows it at once) and queues it
   * behind its conversation's earlier messages; the first of a conversation waits only for a free slot.
   */
  private void admit(PartitionWork work, long offset, String key, MessageRequest request, int attempt,
                     TraceContext trace) {
    PartitionWork.Queued queued = new PartitionWork.Queued(offset, key, request, attempt, Turn.pending(request, offset),
        trace);
    sinkFor(key).remember(queued.turn()).onFailure(e -> log.warn("Pending turn not stored: conversationId={} messageId={}: {}",
        request.conversationId(), request.messageId(), e.toString()));
    ArrayDeque<PartitionWork.Queued> conversation =
        work.conversations.computeIfAbsent(key, k -> new ArrayDeque<>());
    conversation.add(queued);
    if (conversation.size() == 1) {
      startWhenFree(work, queued);
    } else {
      startWaiting(); // counts the parked message toward pausing consumption
    }
  }

  /** The conversation's head has ended (or was cancelled before it started): its next message may start. */
  private void nextOfConversation(PartitionWork work, PartitionWork.Queued ended) {
    String key = ended.key();
    ArrayDeque<PartitionWork.Queued> conversation = work.conversations.get(key);
    if (conversation == null) {
      return;
    }
    boolean wasHead = conversation.peekFirst() == ended;
    conversation.remove(ended);
    if (conversation.isEmpty()) {
      work.conversations.remove(key);
    } else if (wasHead) {
      startWhenFree(work, conversation.peekFirst());
    }
  }

  /**
   * Stops a running message; a message not started yet ends without generating, as the attempt that would
   * have come next. A message that already ended, or was never here, needs nothing.
   */
  private void cancel(PartitionWork work, String key, RequestRecord.Cancel cancel) {
    Generation running = work.running.get(cancel.messageId());
    if (running != null) {
      running.cancel();
      return;
    }
    ArrayDeque<PartitionWork.Queued> conversation =
        work.conversations.get(key);
    PartitionWork.Queued queued = conversation == null ? null : conversation.stream()
        .filter(q -> q.request().messageId().equals(cancel.messageId())).findFirst().orElse(null);
    if (queued != null) {
      nextOfConversation(work, queued);
      work.ledgerOf(cancel.messageId()).ended = true;
      publishCancelledUnstarted(sinkFor(key), queued.turn(), queued.attempt(), queued.trace())
          .onComplete(ar -> finished(work, queued.offset()));
      startWaiting();
    } else if (work.deferred.containsKey(cancel.messageId())) {
      PartitionWork.Ledger ledger = work.ledgerOf(cancel.messageId());
      ledger.ended = true; // never started here: nothing more to generate
      PartitionWork.Deferred d = work.deferred.remove(cancel.messageId());
      publishCancelledUnstarted(sinkFor(key), Turn.pending(d.request(), d.offset()), ledger.attempts + 1, d.trace())
          .onComplete(ar -> finished(work, d.offset()));
    }
  }

  /** Queues a conversation's head; it starts as soon as fewer than the maximum run. */
  private void startWhenFree(PartitionWork work, PartitionWork.Queued queued) {
    waitingToStart.add(() -> generate(work, queued));
    startWaiting();
  }

  private void startWaiting() {
    if (draining) {
      return;
    }
    while (inFlight < config.maxConcurrentGenerations() && !waitingToStart.isEmpty()) {
      waitingToStart.poll().run();
    }
    int parked = partitions.values().stream().mapToInt(PartitionWork::parked).sum();
    int taken = inFlight + waitingToStart.size() + parked;
    if (!paused && taken >= config.maxConcurrentGenerations()) {
      paused = true;
      consumer.pause();
    } else if (paused && taken < config.maxConcurrentGenerations()) {
      paused = false;
      consumer.resume();
    }
  }

  private void generate(PartitionWork work, PartitionWork.Queued queued) {
    MessageRequest request = queued.request();
    String key = queued.key();
    ArrayDeque<PartitionWork.Queued> conversation = work.conversations.get(key);
    if (partitions.get(work.partition) != work || conversation == null || conversation.peekFirst() != queued) {
      return; // revoked while it waited (its new owner has it), or cancelled
    }
    long offset = queued.offset();
    // The turns before this one have all ended: a conversation's messages are answered one at a time.
    List<ChatMessage> prompt = request.completion().isPresent()
        ? CompletionPrompt.of(request.completion().get(), request.text())
        : config.chat().memory().prompt(work.memory.before(key, offset), request.text());
    Generation generation = new Generation(context, sinkFor(key), model, config.model().displayName(), queued.turn(), request,
        prompt, queued.attempt(), config.retry(), toolbox, config.chat().maxToolRounds(), queued.trace(), metrics);
    work.running.put(request.messageId(), generation);
    inFlight++;
    generation.run().onComplete(ar -> {
      work.running.remove(request.messageId());
      inFlight--;
      if (partitions.get(work.partition) == work) {
        nextOfConversation(work, queued);
      }
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
   * A cancel that arrived before the message started: it ends, without generating, as the attempt that
   * would have come next (a terminal event alone, seq 0), and its turn is remembered as cancelled.
   */
  private Future<Void> publishCancelledUnstarted(EventSink sink, Turn pending, int attempt, TraceContext trace) {
    MessageRequest request = new MessageRequest(pending.conversationId(), pending.messageId(), pending.userText(), 0);
    return sink.remember(pending.ended(Turn.Status.CANCELLED, "", List.of(), attempt))
        .compose(v -> sink.publish(new StreamEvent.Cancelled(request.conversationId(), request.messageId(), attempt, 0,
            System.currentTimeMillis()), trace))
        .compose(v -> sink.mark(new RequestRecord.Ended(request.conversationId(), request.messageId(), attempt,
            "cancelled", System.currentTimeMillis())));
  }

  /** The record at {@code offset} needs nothing more: commit past it once everything before it is done too. */
  private void finished(PartitionWork work, long offset) {
    if (partitions.get(work.partition) != work) { // revoked meanwhile; its new owner resumes it
      return;
    }
    work.offsets.finish(offset).ifPresent(next -> {
      toCommit.put(work.partition, new OffsetAndMetadata(next, ""));
      commitPending();
    });
  }

  /**
   * Commits the latest finished offset of every partition, one commit at a time. vertx-kafka-client
   * commits synchronously on the consumer's one thread, between polls: a commit per finished record
   * (three per message, with the markers) queued thousands of blocking commits after a burst and
   * delayed the next poll — new messages started seconds late (measured: POST -> start p50 9.9 s after
   * a 1,000-message round). Offsets that finish while a commit is in flight go with the next one.
   */
  private Future<Void> commitPending() {
    if (committing != null || toCommit.isEmpty()) {
      return committing == null ? Future.succeededFuture() : committing;
    }
    Map<TopicPartition, OffsetAndMetadata> batch = new HashMap<>(toCommit);
    toCommit.clear();
    committing = consumer.commit(batch)
        .onFailure(e -> log.warn("Commit of {} failed: {}", batch, e.toString()))
        .transform(ar -> {
          committing = null;
          return commitPending();
        });
    return committing;
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

  /** Writes for the conversation whose records have {@code key}, to its partition of every topic. */
  private EventSink sinkFor(String key) {
    int partition = Partitioning.partitionOf(key, partitionCount);
    return new EventSink() {
      @Override
      public Future<Void> publish(StreamEvent event, TraceContext trace) {
        KafkaProducerRecord<String, Buffer> record = KafkaProducerRecord.create(config.kafka().topics().events(), key,
            ProtocolCodec.encode(event));
        record.addHeader(TraceContext.HEADER, trace.header());
        return producer.send(record).mapEmpty();
      }

      @Override
      public Future<Void> remember(Turn turn) {
        PartitionWork work = partitions.get(new TopicPartition(config.kafka().topics().requests(), partition));
        if (work != null && work.memory != null) {
          work.memory.apply(key, turn);
        }
        return producer.send(KafkaProducerRecord.create(config.kafka().topics().memory(),
            Turn.memoryKey(key, turn.messageId()), ProtocolCodec.encode(turn), turn.ts(), partition)).mapEmpty();
      }

      @Override
      public Future<Void> mark(RequestRecord marker) {
        return producer.send(KafkaProducerRecord.create(config.kafka().topics().requests(), key,
            ProtocolCodec.encode(marker))).mapEmpty();
      }
    };
  }

  /** The request's trace, continued by this worker; a request without one starts a trace here. */
  private static TraceContext traceOf(KafkaConsumerRecord<String, Buffer> record) {
    for (var header : record.headers()) {
      if (header.key().equals(TraceContext.HEADER)) {
        return TraceContext.parse(header.value().toString(StandardCharsets.UTF_8)).map(TraceContext::child)
            .orElseGet(TraceContext::newTrace);
      }
    }
    return TraceContext.newTrace();
  }

  private void checkTimeouts() {
    long now = System.currentTimeMillis();
    for (PartitionWork work : partitions.values()) {
      for (Generation g : new ArrayList<>(work.running.values())) {
        g.checkTimeouts(now, config.idleTimeout().toMillis(), config.maxGenerationTime().toMillis());
      }
    }
  }

}
