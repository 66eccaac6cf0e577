package dev.tokenrail.worker;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.tokenrail.protocol.Topics;
import dev.tokenrail.runtime.MeterScope;
import dev.tokenrail.runtime.Telemetry;
import dev.tokenrail.worker.generation.Generation;
import dev.tokenrail.worker.generation.EventSender;
import dev.tokenrail.worker.generation.GenerationSettings;
import dev.tokenrail.worker.generation.WorkerMetrics;
import dev.tokenrail.worker.memory.ConversationMemory;
import dev.tokenrail.worker.memory.MemoryReads;
import dev.tokenrail.worker.memory.MemoryRestore;
import dev.tokenrail.worker.memory.RecentTurns;
import dev.tokenrail.worker.model.ChatModels;
import dev.tokenrail.worker.partition.GenerationSlots;
import dev.tokenrail.worker.partition.PartitionTask;
import dev.tokenrail.worker.partition.TaskServices;
import dev.tokenrail.worker.tools.McpServers;
import dev.tokenrail.worker.tools.Toolbox;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.producer.KafkaProducer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers chat requests. Consumes the requests topic as a member of {@value WorkerConfig#GROUP_ID}, runs a
 * {@link Generation} per request — many at once, so a long answer never holds up another conversation of
 * the same partition — and publishes every event to the events topic keyed by conversation. A request's
 * offset is committed only after its terminal event and {@code ended} marker are acknowledged, in
 * offset order; a partition taken over from another worker is resumed from its markers
 * ({@link PartitionTask}).
 *
 * <p>Memory: owning requests partition p means owning memory partition p. It is restored when p is
 * assigned, before any of p's records is processed; from then on this worker is its only writer.
 *
 * <p>This class owns the consumer — its lifecycle, assignment and revocation, memory restore, the drain on
 * stop, and commits. Each assigned partition's work is a {@link PartitionTask}; the tasks share the
 * worker's {@link GenerationSlots} and report committable offsets back through a callback.
 *
 * <p>Longer than 300 lines because the consumer's life — start, assignment and revocation with their memory
 * restore, pauses, expiry, the drain on stop — is one sequence over the same fields; what each part does
 * lives in {@code OffsetCommitter}, {@code PartitionPauses}, {@code MemoryRestore} and the partition tasks.
 */
public final class WorkerVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(WorkerVerticle.class);
  private static final java.time.Duration POLL_TIMEOUT = java.time.Duration.ofMillis(20);

  private final WorkerConfig config;
  private final Map<TopicPartition, PartitionTask> partitions = new HashMap<>();
  private WorkerExecutor toolExecutor;
  private McpServers mcpServers;
  private WorkerExecutor mcpExecutor;
  private WorkerExecutor eventLane;
  private String instanceId;
  /** Partitions of the requests topic (and so of the memory topic), learned at start. */
  private int partitionCount;
  private final WorkerMetrics metrics = new WorkerMetrics();
  private final MeterScope meters = new MeterScope();
  private KafkaConsumer<String, Buffer> consumer;
  private KafkaProducer<String, Buffer> producer;
  private GenerationSlots slots;
  /** What every partition task shares; made once {@link #partitionCount} is known, before subscribing. */
  private TaskServices services;
  private RecentTurns recentTurns;
  private MemoryReads memoryReads;
  /** Commits what the tasks report done, in batches. */
  private OffsetCommitter commits;
  /** Set on shutdown: nothing new starts and consumption stays paused while running answers drain. */
  private boolean draining;
  private PartitionPauses pauses;

  public WorkerVerticle(WorkerConfig config) {
    this.config = config;
  }

  /** The id this worker's client ids and meters carry; null before it started. */
  public String instanceId() {
    return instanceId;
  }

  @Override
  public Future<?> start() {
    instanceId = "worker-" + UUID.randomUUID().toString().substring(0, 8);
    StreamingChatModel model = ChatModels.create(config.model());
    toolExecutor = vertx.createSharedWorkerExecutor("tokenrail-tools", 8);
    mcpExecutor = vertx.createSharedWorkerExecutor("tokenrail-mcp-sessions", 2);
    eventLane = vertx.createSharedWorkerExecutor("tokenrail-events-" + instanceId, 1);
    mcpServers = new McpServers(vertx, mcpExecutor, config.chat().mcpServers(), config.chat().toolTimeout());
    Toolbox toolbox = new Toolbox(config.chat().tools(), mcpServers, toolExecutor, config.chat().toolTimeout());
    GenerationSettings generation = new GenerationSettings(model, config.model().displayName(), config.retry(), toolbox,
        config.chat().maxToolRounds(), metrics, () -> commits.stillMember());
    producer = KafkaProducer.create(vertx, config.kafka().producerConfig(instanceId));
    // Each send's failure reaches its future, where it is handled; the stream would report it again, unhandled.
    producer.exceptionHandler(e -> log.debug("Producer: {}", e.toString()));
    consumer = KafkaConsumer.create(vertx, config.consumerConfig(instanceId));
    // Commits, end offsets and the membership check before an answer's end run on the consumer's one thread
    // between polls; with the default 1 s poll an idle worker held each answer's done back up to a second
    // (measured: done 936 ms after the last token). An empty poll loop every 20 ms costs next to nothing.
    consumer.pollTimeout(POLL_TIMEOUT);
    consumer.exceptionHandler(e -> log.warn("Requests consumer error: {}", e.toString()));
    consumer.partitionsAssignedHandler(this::takeOver);
    consumer.partitionsRevokedHandler(this::abandonRevoked);
    consumer.handler(this::onRecord);
    commits = new OffsetCommitter(vertx, consumer);
    pauses = new PartitionPauses(consumer);
    slots = new GenerationSlots(config.maxConcurrentGenerations(), this::parked, this::applyBackpressure);
    recentTurns = new RecentTurns(config.chat().conversationsInMemory()).metered(meters, instanceId);
    memoryReads = new MemoryReads(config.kafka(), instanceId);
    meters.bindKafka(producer.unwrap());
    meters.bindKafka(consumer.unwrap());
    meters.add(Gauge.builder("tokenrail.generations.active", this, w -> w.slots.inFlight())
        .description("generations running").tag("worker", instanceId).register(Telemetry.registry()));
    for (String server : mcpServers.names()) {
      meters.add(Gauge.builder("tokenrail.mcp.tools", mcpServers, m -> m.toolCount(server))
          .description("tools an MCP server offers the model now (0: not connected)").tag("worker", instanceId)
          .tag("server", server).register(Telemetry.registry()));
    }
    vertx.setPeriodic(1_000, id -> checkTimeouts());
    long retention = config.chat().retention().toMillis();
    long statelessRetention = config.chat().statelessRetention().toMillis();
    vertx.setPeriodic(Math.max(1_000, Math.min(60_000, Math.min(retention, statelessRetention) / 4)),
        id -> expireIdleConversations(retention, statelessRetention));
    log.info("Worker {} starting: {}, tools {}, MCP servers {}", instanceId, config.model(),
        config.chat().tools().stream().map(t -> t.name()).toList(),
        config.chat().mcpServers().stream().map(m -> m.name()).toList());
    return checkPartitionCounts().compose(v -> {
      services = new TaskServices(context, generation, config.chat().memory(), recentTurns, memoryReads, producer,
          new EventSender(producer.unwrap(), context, eventLane, config.tokensPerRecord()),
          config.kafka().topics(), partitionCount, slots, commits::committable);
      return consumer.subscribe(config.kafka().topics().requests());
    }).onSuccess(v -> mcpServers.start()); // in the background, once started: a server that is down delays nothing
  }

  /**
   * Memory partition p must hold the conversations of requests partition p, and gateways find a
   * conversation in the same partition of every topic: the four topics must agree on their partition count.
   */
  private Future<Void> checkPartitionCounts() {
    Topics topics = config.kafka().topics();
    Map<String, Integer> counts = new HashMap<>();
    Future<Void> read = Future.succeededFuture();
    for (String topic : topics.partitioned()) {
      read = read.compose(v -> consumer.partitionsFor(topic).map(p -> {
        counts.put(topic, p.size());
        return null;
      }));
    }
    return read.compose(v -> {
      partitionCount = topics.requireOnePartitionCount(counts);
      return Future.succeededFuture();
    });
  }

  /**
   * Graceful shutdown (SIGTERM): take no more requests, let running generations finish within the drain
   * timeout (their offsets commit as they end), abandon what is left — the partition's next owner
   * answers it again as the next attempt — then leave the group.
   */
  @Override
  public Future<?> stop() {
    draining = true;
    slots.drain(); // not started, not committed: the partition's next owner answers them
    consumer.pause();
    List<Generation> running = running();
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
          List<Generation> left = running();
          if (!left.isEmpty()) {
            log.info("Abandoning {} generations still running after the drain timeout", left.size());
            left.forEach(Generation::abandon);
          }
          return commits.commitPending().transform(ar -> consumer.close()); // what finished while draining
        })
        .eventually(() -> {
          meters.close();
          return producer.close();
        })
        .eventually(() -> vertx.executeBlocking(() -> {
          memoryReads.close();
          return null;
        }))
        .eventually(() -> mcpServers.closeAsync())
        .eventually(() -> mcpExecutor.close())
        .eventually(() -> eventLane.close())
        .eventually(() -> toolExecutor.close());
  }

  private List<Generation> running() {
    return partitions.values().stream().flatMap(t -> t.running().stream()).toList();
  }

  // ---- partitions coming and going ----

  private PartitionTask newTask(TopicPartition tp) {
    return new PartitionTask(tp, services);
  }

  /**
   * Notes where each new partition ends now — what lies before may have been handled by its previous
   * owner — and restores its memory. Its records wait until both are done.
   */
  private void takeOver(Set<TopicPartition> assigned) {
    List<PartitionTask> taken = new ArrayList<>();
    for (TopicPartition tp : assigned) {
      PartitionTask task = partitions.computeIfAbsent(tp, this::newTask);
      taken.add(task);
      learnHistoryEnd(tp, task);
    }
    if (!taken.isEmpty()) {
      restoreMemory(taken);
    }
    applyBackpressure(); // a new partition is not ready yet, or the slots are full
  }

  private void restoreMemory(List<PartitionTask> tasks) {
    Set<Integer> numbers = new TreeSet<>();
    tasks.forEach(t -> numbers.add(t.partition().getPartition()));
    int keep = config.chat().memory().turnsToKeep();
    int held = config.chat().conversationsInMemory();
    vertx.executeBlocking(() -> MemoryRestore.restore(config.kafka(), instanceId, numbers, keep, held), false)
        .onComplete(restored -> {
          List<PartitionTask> current = tasks.stream().filter(t -> partitions.get(t.partition()) == t).toList();
          if (current.isEmpty() || draining) {
            return; // revoked or stopping meanwhile
          }
          if (restored.failed()) { // without memory no prompt would be complete: try again
            log.warn("Memory of partitions {} not restored ({}); trying again", numbers, restored.cause().toString());
            vertx.setTimer(1_000, id -> restoreMemory(current));
            return;
          }
          for (PartitionTask task : current) {
            ConversationMemory memory = restored.result().get(task.partition().getPartition());
            memory.share(recentTurns);
            task.memoryRestored(memory);
            task.processWaiting();
          }
          applyBackpressure();
        });
  }

  private void learnHistoryEnd(TopicPartition tp, PartitionTask task) {
    consumer.endOffsets(tp).onComplete(end -> {
      if (partitions.get(tp) != task || draining) {
        return; // revoked or stopping meanwhile
      }
      if (end.failed()) { // without it the partition's history can't be told from new requests: ask again
        log.warn("End offset of {} unknown ({}); asking again", tp, end.cause().toString());
        vertx.setTimer(1_000, id -> learnHistoryEnd(tp, task));
        return;
      }
      task.windowEnd(end.result());
      task.processWaiting();
      applyBackpressure();
    });
  }

  /** A revoked partition's task stops: its requests now belong to another worker ({@link PartitionTask#revoke}). */
  private void abandonRevoked(Set<TopicPartition> revoked) {
    for (TopicPartition tp : revoked) {
      pauses.forget(tp);
      PartitionTask task = partitions.remove(tp);
      commits.forget(tp); // its new owner commits from here on
      if (task != null) {
        task.revoke();
      }
    }
  }

  private void onRecord(KafkaConsumerRecord<String, Buffer> record) {
    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
    partitions.computeIfAbsent(tp, this::newTask).receive(record);
  }

  /**
   * Every partition is paused while the generation slots are full, and a partition whose task is not
   * ready yet (its memory restoring), so what waits for it stays within one poll ({@link PartitionPauses}).
   * Runs whenever either changes.
   */
  private void applyBackpressure() {
    if (draining) {
      return; // stop() paused the whole stream: nothing is read any more
    }
    Set<TopicPartition> wanted = new HashSet<>();
    partitions.forEach((tp, task) -> {
      if (slots.full() || !task.ready()) {
        wanted.add(tp);
      }
    });
    pauses.pauseExactly(wanted);
  }


  /** Messages parked behind their conversation's running one, in every partition: they count toward pausing. */
  private int parked() {
    return partitions.values().stream().mapToInt(PartitionTask::parked).sum();
  }

  /** Conversations idle past their retention are erased by the worker that owns their partition. */
  private void expireIdleConversations(long retentionMillis, long statelessRetentionMillis) {
    long now = System.currentTimeMillis();
    partitions.values().forEach(task -> task.expireIdle(now - retentionMillis, now - statelessRetentionMillis));
  }

  private void checkTimeouts() {
    long now = System.currentTimeMillis();
    for (PartitionTask task : partitions.values()) {
      task.checkTimeouts(now, config.idleTimeout().toMillis(), config.maxGenerationTime().toMillis());
    }
  }
}
