package dev.tokenrail.worker;

import dev.tokenrail.model.MessageRequest;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
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
 */
final class PartitionWork {

  /** What the partition's markers say about one message. */
  static final class Ledger {
    int attempts;
    boolean ended;
  }

  /** A possibly redelivered message, waiting until the worker knows its history. */
  record Deferred(long offset, MessageRequest request) {
  }

  final TopicPartition partition;
  final OffsetTracker offsets = new OffsetTracker();
  final Map<String, Generation> running = new HashMap<>();
  final Map<String, Ledger> ledger = new HashMap<>();
  final Map<String, Deferred> deferred = new LinkedHashMap<>();
  /** Records that arrived before {@link #redeliveryEnd} was known, in order. */
  final List<KafkaConsumerRecord<String, Buffer>> waiting = new ArrayList<>();
  private long redeliveryEnd = -1;

  PartitionWork(TopicPartition partition) {
    this.partition = partition;
  }

  boolean windowKnown() {
    return redeliveryEnd >= 0;
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
