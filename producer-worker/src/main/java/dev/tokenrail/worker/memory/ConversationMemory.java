package dev.tokenrail.worker.memory;

import dev.tokenrail.protocol.Turn;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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

  public ConversationMemory(int keepTurns) {
    this.keepTurns = keepTurns;
  }

  public void apply(String conversationKey, Turn turn) {
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

  public int conversations() {
    return turns.size();
  }
}
