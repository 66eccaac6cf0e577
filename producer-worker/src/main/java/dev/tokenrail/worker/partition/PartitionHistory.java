package dev.tokenrail.worker.partition;

import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.TraceContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a task knows of its partition's history, confined to the verticle's context.
 *
 * <p>Records below {@link #redeliveryEnd} (the partition's end when this worker got it) may have been
 * handled by its previous owner. Their messages are <em>deferred</em> until the worker has read up to that
 * end — and with it every {@code started}/{@code ended} marker written for them — then each is skipped if
 * it ended, or generated again as the next attempt. Records past it are new and start at once.
 */
final class PartitionHistory {

  /** What the partition's markers say about one message. */
  static final class Ledger {
    int attempts;
    boolean ended;
  }

  /** A possibly redelivered message, waiting until the worker knows its history. */
  record Deferred(long offset, String key, MessageRequest request, TraceContext trace) {
  }

  private final Map<String, Ledger> ledger = new HashMap<>();
  private final Map<String, Deferred> deferred = new LinkedHashMap<>();
  private long redeliveryEnd = -1;
  /**
   * Set once every record that may be a redelivery was read and every deferred message resolved: the
   * ledger has no reader from then on, so it is dropped and no longer kept — it held an entry for every
   * message the partition ever had.
   */
  private boolean settled;

  /** True once the partition's end at assignment is known. */
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
    return settled ? new Ledger() : ledger.computeIfAbsent(messageId, id -> new Ledger());
  }

  /** Drops the ledger once the history it answers for is read and resolved (see {@link #settled}). */
  void settleAfter(long offset) {
    if (!settled && deferred.isEmpty() && historyRead(offset)) {
      settled = true;
      ledger.clear();
    }
  }

  int ledgerSize() {
    return ledger.size();
  }

  void defer(Deferred message) {
    deferred.put(message.request().messageId(), message);
  }

  boolean isDeferred(String messageId) {
    return deferred.containsKey(messageId);
  }

  Deferred undefer(String messageId) {
    return deferred.remove(messageId);
  }

  /**
   * The deferred messages, in offset order, once the record at {@code offset} completes the history (they are
   * no longer deferred then); none before.
   */
  List<Deferred> resolvable(long offset) {
    if (deferred.isEmpty() || !historyRead(offset)) {
      return List.of();
    }
    List<Deferred> resolved = new ArrayList<>(deferred.values());
    deferred.clear();
    return resolved;
  }
}
