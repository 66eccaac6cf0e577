package dev.tokenrail.worker.partition;

import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.worker.generation.EventSink;
import dev.tokenrail.worker.generation.WriteRetry;
import dev.tokenrail.worker.memory.ConversationMemory;
import io.vertx.kafka.client.common.TopicPartition;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A partition's conversations coming to an end — deleted by their owner, or idle past their retention:
 * each is erased once the messages it has here have ended (their ends write turns the erasure must come
 * after), its memory forgotten and its turns and start tombstoned. A delete's offset is reported finished
 * once the tombstones are stored. Confined to the verticle's context.
 */
final class Erasures {

  private static final Logger log = LoggerFactory.getLogger(Erasures.class);

  /** A conversation to erase once its running and waiting messages have ended, and its delete's offset. */
  private record Pending(List<String> messageIds, long offset) {
  }

  private final TopicPartition partition;
  private final ConversationQueues conversations;
  private final Supplier<ConversationMemory> memory;
  private final Function<String, EventSink> sinks;
  private final WriteRetry writes;
  private final LongConsumer finished;
  private final Map<String, Pending> pending = new HashMap<>();

  /**
   * @param memory    the partition's memory, null until restored
   * @param sinks     the writer of a conversation, by its key
   * @param finished  told a delete's offset needs nothing more
   */
  Erasures(TopicPartition partition, ConversationQueues conversations, Supplier<ConversationMemory> memory,
           Function<String, EventSink> sinks, WriteRetry writes, LongConsumer finished) {
    this.partition = partition;
    this.conversations = conversations;
    this.memory = memory;
    this.sinks = sinks;
    this.writes = writes;
    this.finished = finished;
  }

  /** A delete record: the conversation is erased now, or once its messages here have ended. */
  void whenIdle(String key, List<String> messageIds, long offset) {
    if (conversations.has(key)) {
      pending.put(key, new Pending(messageIds, offset));
    } else {
      erase(key, messageIds, offset);
    }
  }

  /** The conversation has nothing running or waiting any more: a delete waiting for that runs. */
  void idle(String key) {
    Pending erasure = pending.remove(key);
    if (erasure != null) {
      erase(key, erasure.messageIds(), erasure.offset());
    }
  }

  /**
   * Erases the idle conversations whose latest turn is older than {@code cutoffMillis}, or than
   * {@code statelessCutoffMillis} for a stateless completion's ({@link ConversationIds#isStateless}).
   */
  void expireIdle(long cutoffMillis, long statelessCutoffMillis) {
    ConversationMemory turns = memory.get();
    if (turns == null) {
      return;
    }
    long laterCutoff = Math.max(cutoffMillis, statelessCutoffMillis);
    for (String key : turns.idleSince(laterCutoff)) {
      boolean stateless = ConversationIds.isStateless(ConversationIds.conversationIdOf(key));
      boolean expired = turns.lastActive(key) < (stateless ? statelessCutoffMillis : cutoffMillis);
      if (expired && !conversations.has(key) && !pending.containsKey(key)) {
        erase(key, List.of(), -1);
      }
    }
  }

  private void erase(String key, Collection<String> messageIds, long offset) {
    Set<String> all = new LinkedHashSet<>(messageIds);
    ConversationMemory turns = memory.get();
    if (turns != null) {
      all.addAll(turns.forget(key));
    }
    log.info("Erasing conversation {} of partition {}: {} turns", key, partition, all.size());
    writes.persist("erasure of " + key, () -> sinks.apply(key).erase(all)).onSuccess(v -> {
      if (offset >= 0) {
        finished.accept(offset);
      }
    });
  }
}
