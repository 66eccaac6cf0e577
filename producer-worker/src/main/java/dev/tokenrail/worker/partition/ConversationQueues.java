package dev.tokenrail.worker.partition;

import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.TraceContext;
import dev.tokenrail.protocol.Turn;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Per conversation key, its messages to answer in order; the head is running or waiting for a slot, the
 * rest wait for it to end. Confined to the verticle's context.
 */
final class ConversationQueues {

  /**
   * A message this worker will answer as {@code attempt}; {@code key} is its record's key — the
   * conversation's key on every topic, as the gateway chose it — {@code turn} its pending memory record,
   * {@code trace} the context its answer's events carry.
   */
  record Queued(long offset, String key, MessageRequest request, int attempt, Turn turn, TraceContext trace) {
  }

  private final Map<String, ArrayDeque<Queued>> conversations = new HashMap<>();
  /**
   * Messages behind their conversation's head, kept as they come and go: the slots ask after every start and end,
   * and summing the queues then cost a walk over every active conversation (a burst of n messages, n² steps).
   */
  private int parked;

  /** Queues the message behind its conversation's earlier ones; true if it is the conversation's head. */
  boolean add(Queued queued) {
    ArrayDeque<Queued> conversation = conversations.computeIfAbsent(queued.key(), k -> new ArrayDeque<>());
    conversation.add(queued);
    if (conversation.size() > 1) {
      parked++;
    }
    return conversation.size() == 1;
  }

  /**
   * Takes {@code ended} out of its conversation's queue. Returns the conversation's new head if
   * {@code ended} was the head and another message waits, else null.
   */
  Queued remove(Queued ended) {
    String key = ended.key();
    ArrayDeque<Queued> conversation = conversations.get(key);
    if (conversation == null) {
      return null;
    }
    boolean wasHead = conversation.peekFirst() == ended;
    if (!conversation.remove(ended)) {
      return null;
    }
    if (!conversation.isEmpty()) {
      parked--; // one fewer waits behind a head, whichever of them left
    }
    if (conversation.isEmpty()) {
      conversations.remove(key);
      return null;
    }
    return wasHead ? conversation.peekFirst() : null;
  }

  /** True if {@code queued} is still its conversation's head (not cancelled, not ended). */
  boolean isHead(Queued queued) {
    ArrayDeque<Queued> conversation = conversations.get(queued.key());
    return conversation != null && conversation.peekFirst() == queued;
  }

  /** True while the conversation has a message running or waiting here. */
  boolean has(String key) {
    return conversations.containsKey(key);
  }

  /** The queued message {@code messageId} of the conversation {@code key}, or null. */
  Queued find(String key, String messageId) {
    ArrayDeque<Queued> conversation = conversations.get(key);
    return conversation == null ? null : conversation.stream()
        .filter(q -> q.request().messageId().equals(messageId)).findFirst().orElse(null);
  }

  /** Messages waiting behind their conversation's running one. */
  int parked() {
    return parked;
  }
}
