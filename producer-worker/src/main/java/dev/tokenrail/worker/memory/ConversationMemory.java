package dev.tokenrail.worker.memory;

import dev.tokenrail.protocol.Turn;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.TreeMap;

/**
 * The recent turns of every conversation of one memory partition, as a worker holds them while it owns
 * the partition: restored from the compacted topic when the partition is assigned, then kept up to date
 * by the worker's own writes (it is the partition's only writer). Only the last {@code keepTurns} ended
 * turns of a conversation are kept — the prompt window never reaches further back. Confined to the verticle's context.
 */
public final class ConversationMemory {

  private final int keepTurns;
  /** Conversation key → its turns by their offset in the requests partition. */
  private final Map<String, TreeMap<Long, Turn>> turns = new HashMap<>();
  /**
   * Conversation key → the ids of every turn it has in the memory topic (the window keeps only the last
   * {@code keepTurns}): what erasing it must tombstone. Some tens of bytes a turn, for as long as the
   * conversation is retained.
   */
  private final Map<String, Set<String>> messageIds = new HashMap<>();
  /** Conversation key → when its latest turn was written: how long it has been idle. */
  private final Map<String, Long> lastActive = new HashMap<>();

  public ConversationMemory(int keepTurns) {
    this.keepTurns = keepTurns;
  }

  public void apply(String conversationKey, Turn turn) {
    messageIds.computeIfAbsent(conversationKey, k -> new LinkedHashSet<>()).add(turn.messageId());
    lastActive.merge(conversationKey, turn.ts(), Math::max);
    TreeMap<Long, Turn> conversation = turns.computeIfAbsent(conversationKey, k -> new TreeMap<>());
    conversation.put(turn.requestOffset(), turn);
    // Pending turns (messages queued behind the running one) don't count: they must not push out history.
    long ended = conversation.values().stream().filter(t -> t.status() != Turn.Status.PENDING).count();
    for (var it = conversation.values().iterator(); ended > keepTurns && it.hasNext(); ) {
      if (it.next().status() != Turn.Status.PENDING) {
        it.remove();
        ended--;
      }
    }
  }

  /** The conversation's ended turns that came before the message at {@code requestOffset}, oldest first. */
  public List<Turn> before(String conversationKey, long requestOffset) {
    TreeMap<Long, Turn> conversation = turns.get(conversationKey);
    if (conversation == null) {
      return List.of();
    }
    List<Turn> earlier = new ArrayList<>();
    for (Turn t : conversation.headMap(requestOffset, false).values()) {
      if (t.status() != Turn.Status.PENDING) {
        earlier.add(t);
      }
    }
    return earlier;
  }

  /** A turn tombstoned in the memory topic (restore reads them as they come). */
  public void remove(String conversationKey, String messageId) {
    TreeMap<Long, Turn> conversation = turns.get(conversationKey);
    if (conversation != null) {
      conversation.values().removeIf(t -> t.messageId().equals(messageId));
    }
    Set<String> ids = messageIds.get(conversationKey);
    if (ids != null && ids.remove(messageId) && ids.isEmpty()) {
      forget(conversationKey);
    }
  }

  /** Forgets the conversation; returns the ids of the turns it had, which its erasure tombstones. */
  public Set<String> forget(String conversationKey) {
    turns.remove(conversationKey);
    lastActive.remove(conversationKey);
    Set<String> ids = messageIds.remove(conversationKey);
    return ids == null ? Set.of() : ids;
  }

  /** Conversations whose latest turn was written before {@code cutoffMillis}. */
  public List<String> idleSince(long cutoffMillis) {
    List<String> idle = new ArrayList<>();
    lastActive.forEach((key, at) -> {
      if (at < cutoffMillis) {
        idle.add(key);
      }
    });
    return idle;
  }

  public int conversations() {
    return messageIds.size();
  }
}
