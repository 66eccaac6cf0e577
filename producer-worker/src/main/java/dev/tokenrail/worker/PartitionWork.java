package dev.tokenrail.worker;

import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.TraceContext;
import dev.tokenrail.protocol.Turn;
import dev.tokenrail.worker.memory.ConversationMemory;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A worker's state for one assigned requests partition, confined to the verticle's context.
 *
 * <p>Records below {@link #redeliveryEnd} (the partition's end when this worker got it) may have been
 * handled by its previous owner. Their messages are <em>deferred</em> until the worker has read up to that
 * end — and with it every {@code started}/{@code ended} marker written for them — then each is skipped if
 * it ended, or generated again as the next attempt. Records past it are new and start at once.
 *
 * <p>No record is processed before the partition's memory is restored too. A conversation's messages are
 * answered one after another, each with the ones before it in its prompt: the head of the conversation's
 * queue is running or waiting for a slot, the rest wait for it to end.
 */
final class PartitionWork {

  /** What the partition's markers say about one message. */
  static final class Ledger {
    int attempts;
    boolean ended;
  }

  /** A possibly redelivered message, waiting until the worker knows its history. */
  record Deferred(long offset, String key, MessageRequest request, TraceContext trace) {
  }

  /**
   * A message this worker will answer as {@code attempt}; {@code key} is its record's key — the
   * conversation's key on every topic, as the gateway chose it — {@code turn} its pending memory record,
   * {@code trace} the context its answer's events carry.
   */
  record Queued(long offset, String key, MessageRequest request, int attempt, Turn turn, TraceContext trace) {
  }

  final TopicPartition partition;
  final OffsetTracker offsets = new OffsetTracker();
  final Map<String, Generation> running = new HashMap<>();
  final Map<String, Ledger> ledger = new HashMap<>();
  final Map<String, Deferred> deferred = new LinkedHashMap<>();
  /** Per conversation key, its messages to answer in order; the head is running or waiting for a slot. */
  final Map<String, ArrayDeque<Queued>> conversations = new HashMap<>();
  /** The partition's conversations' recent turns; null until restored from the memory topic. */
  ConversationMemory memory;
  /** Records that arrived before {@link #redeliveryEnd} was known, in order. */
  final List<KafkaConsumerRecord<String, Buffer>> waiting = new ArrayList<>();
  private long redeliveryEnd = -1;

  PartitionWork(TopicPartition partition) {
    this.partition = partition;
  }

  /** True once both the redelivery window and the memory are known: records can be processed. */
  boolean ready() {
    return redeliveryEnd >= 0 && memory != null;
  }

  /** Messages waiting behind their conversation's running one. */
  int parked() {
    int parked = 0;
    for (ArrayDeque<Queued> queue : conversations.values()) {
      parked += queue.size() - 1;
    }
    return parked;
  }

  void windowEnd(long endOffset) {
    redeliveryEnd = endOffset;
  }

  /** Written before this worker owned the partition, so maybe handled already. */
  boolean mayBeRedelivered(long offset) {
    return offset < redeliveryEnd;
  }

  /** True once every record that may be a redelivery has been read. */
  boolean historyRead(long offset) {
    return offset >= redeliveryEnd - 1;
  }

  Ledger ledgerOf(String messageId) {
    return ledger.computeIfAbsent(messageId, id -> new Ledger());
  }
}
