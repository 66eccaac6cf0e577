package dev.tokenrail.gateway.conversations;

import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.ProtocolException;
import dev.tokenrail.protocol.Turn;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.time.Duration;
import com.carrotsearch.hppc.LongObjectHashMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Conversations' transcripts, read from the compacted memory topic the workers write.
 *
 * <p>Every gateway follows the memory topic and keeps only an index — for each conversation (by its 64-bit
 * {@link KeyHash}), the offsets of its turns' records, 8 bytes a record and about 60 a conversation — and
 * reads the turns themselves when asked, keeping each turn's latest record. An erased conversation's first
 * tombstone removes it (erasure is of whole conversations), so the index holds what the retention keeps.
 * Two conversations sharing a hash would share an entry: each read skips the other's records, by key. Before
 * answering, it waits until it has read the conversation's memory partition up to the end Kafka reports
 * at that moment: a client that saw {@code done} (written after its turn) gets a transcript with that
 * turn, whichever gateway it asks. Confined to the gateway's context.
 */
public final class Transcripts {

  private static final Logger log = LoggerFactory.getLogger(Transcripts.class);
  /** How long a transcript read waits for the index to reach the partition's end before answering 503. */
  private static final Duration CATCH_UP_PATIENCE = Duration.ofSeconds(5);

  private final String topic;
  private final LogLookups reads;
  private final TopicFollower follower;
  /** Conversation key hash → offsets of its turns' records in its memory partition, ascending. */
  private final LongObjectHashMap<long[]> index = new LongObjectHashMap<>();

  public Transcripts(Vertx vertx, KafkaSettings kafka, String clientId, LogLookups reads) {
    this.topic = kafka.topics().memory();
    this.reads = reads;
    this.follower = new TopicFollower(vertx, kafka, clientId + "-memory", topic, this::apply);
  }

  public Future<Void> start() {
    return follower.start().onSuccess(v -> log.info("Transcript index restored: {} conversations", index.size()));
  }

  public Future<Void> close() {
    return follower.close();
  }

  public boolean restored() {
    return follower.restored();
  }

  /** The conversation's turns in order, or empty when the memory topic has none of it. */
  public Future<Optional<List<Turn>>> turns(String conversationKey) {
    TopicPartition tp = new TopicPartition(topic, Partitioning.partitionOf(conversationKey, follower.partitionCount()));
    return reads.bounds(tp)
        .compose(bounds -> follower.appliedUpTo(tp.getPartition(), bounds.end())
            .timeout(CATCH_UP_PATIENCE.toMillis(), TimeUnit.MILLISECONDS))
        .compose(caughtUp -> {
          long[] offsets = index.get(KeyHash.of(conversationKey));
          if (offsets == null) {
            return Future.succeededFuture(Optional.<List<Turn>>empty());
          }
          TreeSet<Long> wanted = new TreeSet<>();
          for (long offset : offsets) {
            wanted.add(offset);
          }
          return reads.fetch(tp, wanted).map(records -> Optional.of(decode(conversationKey, records)));
        });
  }

  /** The transcript as the API returns it: each turn as a user message, then the assistant's answer. */
  public static JsonObject toJson(String conversationId, List<Turn> turns) {
    JsonArray messages = new JsonArray();
    for (Turn t : turns) {
      messages.add(new JsonObject().put("messageId", t.messageId()).put("role", "user").put("text", t.userText())
          .put("status", "sent"));
      JsonObject answer = new JsonObject().put("messageId", t.messageId()).put("role", "assistant")
          .put("text", t.answer()).put("status", t.status().wireName());
      if (!t.toolCalls().isEmpty()) {
        JsonArray calls = new JsonArray();
        t.toolCalls().forEach(c -> calls.add(new JsonObject().put("toolCallId", c.toolCallId()).put("name", c.name())
            .put("arguments", c.arguments()).put("result", c.result()).put("isError", c.isError())));
        answer.put("toolCalls", calls);
      }
      if (t.attempt() > 0) {
        answer.put("attempt", t.attempt());
      }
      messages.add(answer);
    }
    return new JsonObject().put("conversationId", conversationId).put("messages", messages);
  }

  /** Each turn as its latest record has it (records come in offset order), in the conversation's order. */
  private List<Turn> decode(String conversationKey, List<KafkaConsumerRecord<String, Buffer>> records) {
    Map<String, Turn> latest = new HashMap<>();
    for (KafkaConsumerRecord<String, Buffer> r : records) {
      if (r.value() == null || !Turn.conversationKeyOf(r.key()).map(conversationKey::equals).orElse(false)) {
        continue; // a tombstone, or a record of a conversation sharing the hash
      }
      try {
        Turn turn = ProtocolCodec.decodeTurn(r.value());
        latest.put(turn.messageId(), turn);
      } catch (ProtocolException e) {
        log.warn("Skipping a memory record that is not valid at {}@{}: {}", r.partition(), r.offset(), e.getMessage());
      }
    }
    List<Turn> turns = new ArrayList<>(latest.values());
    turns.sort(Comparator.comparingLong(Turn::requestOffset));
    return turns;
  }

  /** Conversations indexed. */
  public int size() {
    return index.size();
  }

  private void apply(KafkaConsumerRecord<String, Buffer> record) {
    Optional<String> key = Turn.conversationKeyOf(record.key());
    if (key.isEmpty()) {
      return;
    }
    long hash = KeyHash.of(key.get());
    if (record.value() == null) { // the conversation was erased: it leaves nothing behind
      index.remove(hash);
      return;
    }
    long[] offsets = index.get(hash);
    long[] more = offsets == null ? new long[1] : Arrays.copyOf(offsets, offsets.length + 1);
    more[more.length - 1] = record.offset();
    index.put(hash, more);
  }
}
