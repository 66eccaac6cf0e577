package dev.tokenrail.worker.memory;

import dev.tokenrail.protocol.Turn;
import dev.tokenrail.runtime.MeterScope;
import dev.tokenrail.runtime.Telemetry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The turns of the conversations a worker used most recently, across all its partitions: at most
 * {@code maxConversations} of them; the least recently used goes first. A conversation that was let go
 * is read back from the memory topic by its turns' offsets when it has a message again
 * ({@link ConversationMemory#toReload}). One per verticle, confined to its context.
 */
public final class RecentTurns {

  private final int maxConversations;
  /** Conversation key → its turns by their offset in the requests partition; in order of use, eldest first. */
  private final LinkedHashMap<String, TreeMap<Long, Turn>> windows;
  private long evicted;

  public RecentTurns(int maxConversations) {
    if (maxConversations < 1) {
      throw new IllegalArgumentException("at least one conversation's turns must fit in memory");
    }
    this.maxConversations = maxConversations;
    this.windows = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, TreeMap<Long, Turn>> eldest) {
        boolean over = size() > RecentTurns.this.maxConversations;
        if (over) {
          evicted++;
        }
        return over;
      }
    };
  }

  /** Registers its gauge and counter in {@code meters}, tagged with the worker's id. */
  public RecentTurns metered(MeterScope meters, String workerId) {
    meters.add(Gauge.builder("tokenrail.memory.conversations.held", this, RecentTurns::size)
        .description("conversations whose recent turns the worker holds (bounded by TOKENRAIL_MEMORY_MAX_CONVERSATIONS)")
        .tag("worker", workerId).register(Telemetry.registry()));
    meters.add(FunctionCounter.builder("tokenrail.memory.conversations.evicted", this, RecentTurns::evicted)
        .description("conversations whose turns the worker let go to stay within its bound; read back when needed")
        .tag("worker", workerId).register(Telemetry.registry()));
    return this;
  }

  /** The conversation's turns, marking it used; null when they are not held. */
  TreeMap<Long, Turn> get(String conversationKey) {
    return windows.get(conversationKey);
  }

  /** Holds turns for the conversation from now on (a new one, or one read back), which may let the eldest go. */
  TreeMap<Long, Turn> hold(String conversationKey, TreeMap<Long, Turn> turns) {
    windows.put(conversationKey, turns);
    return turns;
  }

  /** Hands the turns of {@code conversations} to {@code other}, least recently used first, so its order stays true. */
  void handTo(RecentTurns other, java.util.Set<String> conversations) {
    windows.forEach((key, turns) -> {
      if (conversations.contains(key)) {
        other.hold(key, turns);
      }
    });
  }

  void remove(String conversationKey) {
    windows.remove(conversationKey);
  }

  /** Conversations whose turns are held. */
  public int size() {
    return windows.size();
  }

  /** Conversations let go so far to stay within the bound. */
  public long evicted() {
    return evicted;
  }
}
