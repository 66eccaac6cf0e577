package dev.tokenrail.worker.partition;

import dev.langchain4j.data.message.ChatMessage;
import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.ProtocolException;
import dev.tokenrail.protocol.RequestRecord;
import dev.tokenrail.protocol.TraceContext;
import dev.tokenrail.protocol.Turn;
import dev.tokenrail.protocol.CompletionOptions;
import dev.tokenrail.worker.generation.CompletionPrompt;
import dev.tokenrail.worker.generation.EventSink;
import dev.tokenrail.worker.generation.Generation;
import dev.tokenrail.worker.generation.KafkaEventSink;
import dev.tokenrail.worker.generation.WriteRetry;
import dev.tokenrail.worker.memory.ConversationMemory;
import dev.tokenrail.worker.partition.ConversationQueues.Queued;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's work on one assigned requests partition, confined to the verticle's context. It processes the
 * partition's records in order: a record that is not protocol v1 is dead-lettered; a message that may be a
 * redelivery waits until the partition's history is read ({@link PartitionHistory}); a message to answer
 * is queued behind its conversation's earlier ones ({@link ConversationQueues}) and generated when a slot
 * is free ({@link GenerationSlots}); a cancel stops it, running or not. Each record that needs nothing
 * more is reported to the verticle as committable, in offset order ({@link OffsetTracker}, {@link OffsetCommits}).
 *
 * <p>No record is processed before the partition's memory is restored too. A conversation's messages are
 * answered one after another, each with the ones before it in its prompt: the head of the conversation's
 * queue is running or waiting for a slot, the rest wait for it to end.
 *
 * <p>A task is the verticle's for as long as it owns the partition. Once {@linkplain #revoke() revoked} it
 * starts nothing and reports no offset: the partition's new owner resumes what it had.
 *
 * <p>Longer than 300 lines because, and not split further because, the record cases, cancel and generate all read and
 * change the same ledger, queues, running map and {@code owned} guard, and a split would pass them all
 * around. What does not touch them lives elsewhere: the data structures and slots in their own classes,
 * deletes and retention in {@link Erasures}, memory read-backs in {@code MemoryReads}, dead letters and
 * traces in {@link RequestRecords}.
 */
public final class PartitionTask {

  private static final Logger log = LoggerFactory.getLogger(PartitionTask.class);

  private final TopicPartition partition;
  private final TaskServices services;
  private final OffsetTracker offsets = new OffsetTracker();
  private final Map<String, Generation> running = new HashMap<>();
  private final PartitionHistory history = new PartitionHistory();
  private final ConversationQueues conversations = new ConversationQueues();
  /** The partition's conversations' recent turns; null until restored from the memory topic. */
  private ConversationMemory memory;
  /**
   * Records that arrived before the task was ready (its redelivery window and memory known), in order. The
   * worker pauses a partition whose task is not ready, so this holds at most what one poll brought.
   */
  private final List<KafkaConsumerRecord<String, Buffer>> waiting = new ArrayList<>();
  /** False once revoked: the partition is another worker's. */
  private boolean owned = true;
  /** The task's own must-happen writes (dead letters, cancels before a start): tried while it owns the partition. */
  private final WriteRetry writes;
  /** Conversations deleted, or idle past their retention, erased once nothing of theirs runs here. */
  private final Erasures erasures;

  public PartitionTask(TopicPartition partition, TaskServices services) {
    this.partition = partition;
    this.services = services;
    this.writes = new WriteRetry(services.context().owner(), () -> !owned);
    this.erasures = new Erasures(partition, conversations, () -> memory, this::sinkFor, writes, this::finished);
  }

  public TopicPartition partition() {
    return partition;
  }

  /** The partition's end when this worker got it: what lies before may have been handled by its previous owner. */
  public void windowEnd(long endOffset) {
    history.windowEnd(endOffset);
  }

  public void memoryRestored(ConversationMemory restored) {
    memory = restored;
  }

  /** True once both the redelivery window and the memory are known: records can be processed. */
  public boolean ready() {
    return history.windowKnown() && memory != null;
  }

  /** Processes a record of the partition now, or once the task is ready. */
  public void receive(KafkaConsumerRecord<String, Buffer> record) {
    if (!ready()) {
      waiting.add(record);
      return;
    }
    process(record);
  }

  /** Processes the records that came before the task was ready, if it is now. */
  public void processWaiting() {
    if (!ready()) {
      return;
    }
    List<KafkaConsumerRecord<String, Buffer>> records = new ArrayList<>(waiting);
    waiting.clear();
    records.forEach(this::process);
  }

  /** Messages waiting behind their conversation's running one. */
  public int parked() {
    return conversations.parked();
  }

  /** The generations running now. */
  public List<Generation> running() {
    return List.copyOf(running.values());
  }

  /** Ends each running generation that has gone quiet or run too long ({@link Generation#checkTimeouts}). */
  public void checkTimeouts(long now, long idleMillis, long maxMillis) {
    for (Generation g : new ArrayList<>(running.values())) {
      g.checkTimeouts(now, idleMillis, maxMillis);
    }
  }

  /**
   * A revoked partition's requests now belong to another worker, which resumes them from their markers.
   * Running on here too would answer them twice, so their generations stop at once.
   */
  public void revoke() {
    owned = false;
    if (memory != null) {
      memory.release();
    }
    if (!running.isEmpty()) {
      log.info("Partition {} revoked: abandoning {} running generations", partition, running.size());
      new ArrayList<>(running.values()).forEach(Generation::abandon);
    }
  }

  // ---- records ----

  private void process(KafkaConsumerRecord<String, Buffer> record) {
    long offset = record.offset();
    offsets.track(offset);
    RequestRecord request;
    try {
      if (record.key() == null) { // a conversation's records are keyed: this one belongs to none
        throw new ProtocolException("a request record needs the conversation's key");
      }
      request = ProtocolCodec.decodeRequest(record.value());
    } catch (ProtocolException e) {
      writes.persist("dead letter of " + services.topics().requests() + "@" + offset, () -> RequestRecords.deadLetter(services, record, e.getMessage()))
          .onSuccess(v -> finished(offset));
      resolveHistory(offset);
      return;
    }
    if (request instanceof MessageRequest message) {
      TraceContext trace = RequestRecords.traceOf(record);
      if (history.mayBeRedelivered(offset)) {
        history.defer(new PartitionHistory.Deferred(offset, record.key(), message, trace));
      } else {
        admit(offset, record.key(), message, 1, trace);
      }
    } else if (request instanceof RequestRecord.Cancel cancel) {
      cancel(record.key(), cancel);
      finished(offset);
    } else if (request instanceof RequestRecord.Started started) {
      PartitionHistory.Ledger l = history.ledgerOf(started.messageId());
      l.attempts = Math.max(l.attempts, started.attempt());
      finished(offset);
    } else if (request instanceof RequestRecord.Ended ended) {
      history.ledgerOf(ended.messageId()).ended = true;
      finished(offset);
    } else if (request instanceof RequestRecord.Delete delete) {
      erasures.whenIdle(record.key(), delete.messageIds(), offset);
    }
    resolveHistory(offset);
  }

  /**
   * Erases the conversations whose latest turn is older than {@code cutoffMillis} ({@code statelessCutoffMillis}
   * for a stateless completion's) and that have nothing running or waiting: a conversation's retention ends,
   * and with it what every index holds of it.
   */
  public void expireIdle(long cutoffMillis, long statelessCutoffMillis) {
    if (owned) {
      erasures.expireIdle(cutoffMillis, statelessCutoffMillis);
    }
  }

  /** Once the partition's history is read, each deferred message is skipped if it ended, else answered again. */
  private void resolveHistory(long offset) {
    for (PartitionHistory.Deferred d : history.resolvable(offset)) {
      PartitionHistory.Ledger l = history.ledgerOf(d.request().messageId());
      if (l.ended) {
        finished(d.offset());
      } else {
        if (l.attempts > 0) {
          log.info("Answering again: conversationId={} messageId={} attempt={}",
              d.request().conversationId(), d.request().messageId(), l.attempts + 1);
        }
        admit(d.offset(), d.key(), d.request(), l.attempts + 1, d.trace());
      }
    }
    history.settleAfter(offset);
  }

  /**
   * Takes a message to answer: writes its pending turn (so the transcript shows it at once) and queues it
   * behind its conversation's earlier messages; the first of a conversation waits only for a free slot.
   */
  private void admit(long offset, String key, MessageRequest request, int attempt, TraceContext trace) {
    Queued queued = new Queued(offset, key, request, attempt, Turn.pending(request, offset), trace);
    sinkFor(key, request.completion().isEmpty()).remember(queued.turn()).onFailure(e -> log.warn("Pending turn not stored: conversationId={} messageId={}: {}",
        request.conversationId(), request.messageId(), e.toString()));
    if (conversations.add(queued)) {
      startWhenFree(queued);
    } else {
      services.slots().startWaiting(); // counts the parked message toward pausing consumption
    }
  }

  /** The conversation's head has ended (or was cancelled before it started): its next message may start. */
  private void nextOfConversation(Queued ended) {
    Queued next = conversations.remove(ended);
    if (next != null) {
      startWhenFree(next);
    } else if (!conversations.has(ended.key())) {
      erasures.idle(ended.key());
    }
  }

  /**
   * Stops a running message; a message not started yet ends without generating, as the attempt that would
   * have come next. A message that already ended, or was never here, needs nothing.
   */
  private void cancel(String key, RequestRecord.Cancel cancel) {
    Generation generation = running.get(cancel.messageId());
    if (generation != null) {
      generation.cancel();
      return;
    }
    Queued queued = conversations.find(key, cancel.messageId());
    if (queued != null) {
      nextOfConversation(queued);
      history.ledgerOf(cancel.messageId()).ended = true;
      sinkFor(key).cancelledBeforeStart(queued.turn(), queued.attempt(), queued.trace(), writes)
          .onSuccess(v -> finished(queued.offset())); // committed only once its records are stored
      services.slots().startWaiting();
    } else if (history.isDeferred(cancel.messageId())) {
      PartitionHistory.Ledger ledger = history.ledgerOf(cancel.messageId());
      ledger.ended = true; // never started here: nothing more to generate
      PartitionHistory.Deferred d = history.undefer(cancel.messageId());
      sinkFor(key).cancelledBeforeStart(Turn.pending(d.request(), d.offset()), ledger.attempts + 1, d.trace(), writes).onSuccess(v -> finished(d.offset()));
    }
  }

  /** Queues a conversation's head; it starts as soon as fewer than the maximum run. */
  private void startWhenFree(Queued queued) {
    services.slots().startWhenFree(() -> generate(queued));
  }

  private void generate(Queued queued) {
    if (!owned || !conversations.isHead(queued)) {
      return; // revoked while it waited (its new owner has it), or cancelled
    }
    GenerationSlots slots = services.slots();
    slots.started(); // the slot is this message's while its conversation's earlier turns are read back, if they must be
    turnsAtHand(queued).onComplete(read -> {
      if (owned && conversations.isHead(queued) && read.succeeded()) {
        try {
          run(queued);
        } catch (RuntimeException e) { // the slot is given back, whatever went wrong
          log.error("Generation not started: conversationId={} messageId={}", queued.request().conversationId(),
              queued.request().messageId(), e);
          running.remove(queued.request().messageId());
          slots.ended();
          slots.startWaiting();
        }
        return;
      }
      slots.ended();
      if (read.failed() && owned && conversations.isHead(queued)) {
        log.warn("Memory of conversation {} not read back ({}); trying again in 1 s", queued.key(), read.cause().toString());
        services.context().owner().setTimer(1_000, id -> startWhenFree(queued));
      }
      slots.startWaiting();
    });
  }

  /** Completes once the conversation's earlier turns are in memory; an OpenAI-style message brings its own. */
  private Future<Void> turnsAtHand(Queued queued) {
    return queued.request().completion().isPresent() ? Future.succeededFuture()
        : services.memoryReads().readBack(services.context().owner(), memory, partition.getPartition(), queued.key());
  }

  /** Generates the conversation's head, whose slot is taken and whose earlier turns are at hand. */
  private void run(Queued queued) {
    MessageRequest request = queued.request();
    String key = queued.key();
    long offset = queued.offset();
    // The turns before this one have all ended: a conversation's messages are answered one at a time.
    List<ChatMessage> prompt;
    List<Turn.ToolUse> results; // the client's tools' results, one for each call the last answer ended with
    if (request.completion().isPresent()) {
      CompletionOptions options = request.completion().get();
      results = Turn.resultsFor(CompletionPrompt.openCalls(options), request.tools().results());
      prompt = CompletionPrompt.of(options, results, request.text());
    } else {
      List<Turn> earlier = memory.before(key, offset);
      results = earlier.isEmpty() ? List.of()
          : Turn.resultsFor(earlier.get(earlier.size() - 1).openClientCalls(), request.tools().results());
      prompt = services.memoryWindow().prompt(earlier, results, request.text());
    }
    Generation generation = new Generation(services.context(), sinkFor(key), services.generation(), queued.turn(),
        request, prompt, results, queued.attempt(), queued.trace());
    GenerationSlots slots = services.slots();
    running.put(request.messageId(), generation);
    generation.run().onComplete(ar -> {
      running.remove(request.messageId());
      slots.ended();
      if (owned) {
        nextOfConversation(queued);
      }
      slots.startWaiting();
      if (ar.succeeded()) {
        history.ledgerOf(request.messageId()).ended = true;
        finished(offset);
      } else {
        log.warn("Request not committed: conversationId={} messageId={}: {}",
            request.conversationId(), request.messageId(), ar.cause().getMessage());
      }
    });
  }

  /** The record at {@code offset} needs nothing more: commit past it once everything before it is done too. */
  private void finished(long offset) {
    if (!owned) { // revoked meanwhile; its new owner resumes it
      return;
    }
    offsets.finish(offset).ifPresent(next -> services.commits().committable(partition, next));
  }

  // ---- writes ----

  /**
   * Writes for the conversation whose records have {@code key}, to its partition of every topic. Its turns
   * go into this partition's memory as they are written, while the partition is this worker's.
   */
  private EventSink sinkFor(String key) {
    return sinkFor(key, true);
  }

  /**
   * @param holdNew false for a message that brings its own history (OpenAI-style): should it start a
   *                conversation, its turns take no place among those the worker holds
   */
  private EventSink sinkFor(String key, boolean holdNew) {
    return new KafkaEventSink(services.producer(), services.events(), services.topics(), key,
        Partitioning.partitionOf(key, services.partitionCount()), new KafkaEventSink.TurnsWritten() {
          // A revoked partition's memory is released and ignores both.
          @Override
          public void writing(Turn turn) {
            if (memory != null) {
              memory.apply(key, turn, -1, holdNew);
            }
          }

          @Override
          public void stored(Turn turn, long offset) {
            if (memory != null) {
              memory.stored(key, turn, offset);
            }
          }
        });
  }


}
