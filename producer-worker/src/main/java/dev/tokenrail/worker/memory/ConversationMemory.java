package dev.tokenrail.worker.memory;

import dev.tokenrail.protocol.Turn;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a worker knows of the conversations of one memory partition while it owns the partition: restored
 * from the compacted topic when the partition is assigned, then kept up to date by the worker's own writes
 * (it is the partition's only writer).
 *
 * <p>Two tiers, so a partition's millionth conversation costs what its index entry costs:
 * <ul>
 *   <li>an <b>index</b> of every retained conversation — each turn's message id and the offset of its latest
 *       record in the memory topic, and when it was last active: what erasing and expiring need, and where
 *       to read the turns back from. Some tens of bytes a turn; bounded in time by the conversation
 *       retention, which erases idle conversations;</li>
 *   <li>the <b>turns</b> themselves, only the last {@code keepTurns} ended ones of a conversation (the prompt
 *       window never reaches further back), and only for the conversations in {@link RecentTurns} — a
 *       bound shared by the worker's partitions. A conversation let go is read back from the topic
 *       ({@link #toReload}, {@link #reloaded}) before its next answer.</li>
 * </ul>
 * Confined to the verticle's context once {@link #share}d (the restore builds it on a worker thread).
 */
public final class ConversationMemory {

  /**
   * Message id → where the turn's latest record is in the memory topic, and whether it has ended:
   * {@code offset * 2 + (ended ? 1 : 0)}, or -1 until Kafka acknowledged it. And, while its turns are being
   * read back, the turns written meanwhile — the read's snapshot of offsets does not have them.
   */
  private static final class Indexed {
    final LinkedHashMap<String, Long> turnOffsets = new LinkedHashMap<>();
    long lastActive;
    List<Turn> writtenWhileReading;
  }

  private static long located(long offset, boolean ended) {
    return offset < 0 ? -1 : offset * 2 + (ended ? 1 : 0);
  }

  private final int keepTurns;
  private final Map<String, Indexed> index = new HashMap<>();
  private RecentTurns recent;
  /** Set when the partition went to another worker: nothing is held for it any more. */
  private boolean released;

  /** @param recent where the turns are held; the restore's own until {@link #share} hands them to the worker's */
  public ConversationMemory(int keepTurns, RecentTurns recent) {
    this.keepTurns = keepTurns;
    this.recent = recent;
  }

  /**
   * A turn written to the memory topic: by this worker ({@code memoryOffset} -1, see {@link #stored}) or read
   * by the restore at {@code memoryOffset}.
   */
  public void apply(String conversationKey, Turn turn, long memoryOffset) {
    apply(conversationKey, turn, memoryOffset, true);
  }

  /**
   * As {@link #apply(String, Turn, long)}; {@code holdNew} false for a conversation whose client sends its
   * history with each message (OpenAI-style): a new one is indexed, but takes no place among the turns held.
   */
  public void apply(String conversationKey, Turn turn, long memoryOffset, boolean holdNew) {
    if (released) {
      return;
    }
    Indexed conversation = index.get(conversationKey);
    TreeMap<Long, Turn> turns;
    if (conversation == null) { // a new conversation: its turns, none so far, are all known
      conversation = new Indexed();
      index.put(conversationKey, conversation);
      turns = holdNew ? recent.hold(conversationKey, new TreeMap<>()) : null;
    } else {
      turns = recent.get(conversationKey); // null when let go: the index is enough, its turns are read back
      if (turns == null && conversation.writtenWhileReading != null) {
        conversation.writtenWhileReading.add(turn);
      }
    }
    conversation.turnOffsets.put(turn.messageId(), located(memoryOffset, turn.status() != Turn.Status.PENDING));
    conversation.lastActive = Math.max(conversation.lastActive, turn.ts());
    if (turns != null) {
      keep(turns, turn);
    }
  }

  /** Kafka acknowledged a turn this worker wrote at {@code memoryOffset}: a later read back finds it there. */
  public void stored(String conversationKey, Turn turn, long memoryOffset) {
    Indexed conversation = released ? null : index.get(conversationKey);
    if (conversation != null) {
      long stored = located(memoryOffset, turn.status() != Turn.Status.PENDING);
      conversation.turnOffsets.computeIfPresent(turn.messageId(), (id, known) -> Math.max(known, stored));
    }
  }

  /** Whether the conversation's turns are at hand: held, or it has none. */
  public boolean atHand(String conversationKey) {
    return !index.containsKey(conversationKey) || recent.get(conversationKey) != null;
  }

  /**
   * Offsets in the memory topic to read the conversation's turns back from: those of its last
   * {@code keepTurns} ended turns (queued messages' pending turns are never in a prompt). Turns written from
   * now until {@link #reloaded} are kept aside, to be added to what the read finds.
   */
  public NavigableSet<Long> toReload(String conversationKey) {
    NavigableSet<Long> offsets = new TreeSet<>();
    Indexed conversation = index.get(conversationKey);
    if (conversation != null) {
      List<Long> all = new ArrayList<>(conversation.turnOffsets.values());
      for (int i = all.size() - 1; i >= 0 && offsets.size() < keepTurns; i--) {
        long located = all.get(i);
        if (located >= 0 && (located & 1) == 1) {
          offsets.add(located / 2);
        }
      }
      if (conversation.writtenWhileReading == null) {
        conversation.writtenWhileReading = new ArrayList<>();
      }
    }
    return offsets;
  }

  /**
   * The conversation's turns, read back from the records at {@link #toReload}'s offsets, with those written
   * since. Nothing happens for a conversation erased meanwhile, or held again already (an earlier read of it
   * came back first, with everything written up to then), or once the partition is released.
   */
  public void reloaded(String conversationKey, List<Turn> turns) {
    Indexed conversation = index.get(conversationKey);
    if (released || conversation == null || recent.get(conversationKey) != null) {
      return;
    }
    TreeMap<Long, Turn> window = recent.hold(conversationKey, new TreeMap<>());
    List<Turn> all = new ArrayList<>(turns);
    if (conversation.writtenWhileReading != null) {
      all.addAll(conversation.writtenWhileReading); // after the read's: they are newer
      conversation.writtenWhileReading = null;
    }
    for (Turn t : all) {
      if (conversation.turnOffsets.containsKey(t.messageId())) { // not erased since
        keep(window, t);
      }
    }
  }

  /** Adds the turn; keeps only the last {@code keepTurns} ended ones. */
  private void keep(TreeMap<Long, Turn> turns, Turn turn) {
    Turn known = turns.get(turn.requestOffset());
    if (known != null && known.status() != Turn.Status.PENDING && turn.status() == Turn.Status.PENDING) {
      return; // read back out of order: an ended turn is never pending again
    }
    turns.put(turn.requestOffset(), turn);
    // Pending turns (messages queued behind the running one) don't count: they must not push out history.
    long ended = turns.values().stream().filter(t -> t.status() != Turn.Status.PENDING).count();
    for (var it = turns.values().iterator(); ended > keepTurns && it.hasNext(); ) {
      if (it.next().status() != Turn.Status.PENDING) {
        it.remove();
        ended--;
      }
    }
  }

  /**
   * The conversation's ended turns that came before the message at {@code requestOffset}, oldest first.
   * Only once they are {@link #atHand}.
   */
  public List<Turn> before(String conversationKey, long requestOffset) {
    TreeMap<Long, Turn> conversation = recent.get(conversationKey);
    if (conversation == null) {
      if (index.containsKey(conversationKey)) {
        throw new IllegalStateException("the turns of " + conversationKey + " must be read back first");
      }
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
    TreeMap<Long, Turn> turns = recent.get(conversationKey);
    if (turns != null) {
      turns.values().removeIf(t -> t.messageId().equals(messageId));
    }
    Indexed conversation = index.get(conversationKey);
    if (conversation != null && conversation.turnOffsets.remove(messageId) != null && conversation.turnOffsets.isEmpty()) {
      forget(conversationKey);
    }
  }

  /** Forgets the conversation; returns the ids of the turns it had, which its erasure tombstones. */
  public Set<String> forget(String conversationKey) {
    recent.remove(conversationKey);
    Indexed conversation = index.remove(conversationKey);
    return conversation == null ? Set.of() : conversation.turnOffsets.keySet();
  }

  /** When the conversation's latest turn was written; 0 for one not known. */
  public long lastActive(String conversationKey) {
    Indexed conversation = index.get(conversationKey);
    return conversation == null ? 0 : conversation.lastActive;
  }

  /** Conversations whose latest turn was written before {@code cutoffMillis}. */
  public List<String> idleSince(long cutoffMillis) {
    List<String> idle = new ArrayList<>();
    index.forEach((key, conversation) -> {
      if (conversation.lastActive < cutoffMillis) {
        idle.add(key);
      }
    });
    return idle;
  }

  /**
   * Hands the turns held to the worker's shared {@code RecentTurns} (which may let some go at once): from
   * now on this memory is the verticle's.
   */
  public void share(RecentTurns shared) {
    if (shared == recent) {
      return;
    }
    recent.handTo(shared, index.keySet());
    recent = shared;
  }

  /** The partition is no longer this worker's: its conversations' turns make room for others'. */
  public void release() {
    released = true;
    index.keySet().forEach(recent::remove);
  }

  public int conversations() {
    return index.size();
  }
}
