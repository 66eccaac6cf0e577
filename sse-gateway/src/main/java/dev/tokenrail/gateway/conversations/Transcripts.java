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
 * {@link KeyHash}), each record's message id hash and offset, 16 bytes a record — and reads the turns
 * themselves when asked, keeping each turn's latest record. A turn's tombstone removes its records (a
 * conversation's erasure tombstones every turn), so the index holds what the retention keeps. Two
 * conversations sharing a hash would share an entry: each read skips the other's records, by key. Before
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
  /**
   * Conversation key hash → its turns' records in its memory partition, in offset order: pairs of the
   * message id's {@code hashCode()} and the record's offset.
   */
  private final LongObjectHashMap<long[]> index = new LongObjectHashMap<>();

  public Transcripts(Vertx vertx, KafkaSettings kafka, String clientId, LogLookups reads,
                     java.util.function.IntPredicate ownedPartitions) {
    this.topic = kafka.topics().memory();
    this.reads = reads;
    this.follower = new TopicFollower(vertx, kafka, clientId + "-memory", topic, this::apply, ownedPartitions);
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
          long[] indexed = index.get(KeyHash.of(conversationKey));
          if (indexed == null) {
            return Future.succeededFuture(Optional.<List<Turn>>empty());
          }
          TreeSet<Long> wanted = new TreeSet<>();
          for (int i = 1; i < indexed.length; i += 2) {
            wanted.add(indexed[i]);
          }
          return reads.fetch(tp, wanted).map(records -> Optional.of(decode(conversationKey, records)));
        });
  }

  /** The transcript as the API returns it: each turn as a user message, then the assistant's answer. */
  public static JsonObject toJson(String conversationId, List<Turn> turns) {
    JsonArray messages = new JsonArray();
    for (Turn t : turns) {
      JsonObject user = new JsonObject().put("messageId", t.messageId()).put("role", "user").put("text", t.userText())
          .put("status", "sent");
      if (!t.clientResults().isEmpty()) { // the message brought the client's tools' results
        JsonArray results = new JsonArray();
        t.clientResults().forEach(c -> results.add(new JsonObject().put("toolCallId", c.toolCallId()).put("name", c.name())
            .put("result", c.result()).put("isError", c.isError())));
        user.put("toolResults", results);
      }
      messages.add(user);
      JsonObject answer = new JsonObject().put("messageId", t.messageId()).put("role", "assistant")
          .put("text", t.answer()).put("status", t.status().wireName());
      List<Turn.ToolUse> made = t.toolCalls().stream().filter(c -> c.round() != Turn.CLIENT_RESULTS).toList();
      if (!made.isEmpty()) {
        JsonArray calls = new JsonArray();
        // A call of the client's tools has no result here: the client's next message brings it.
        made.forEach(c -> calls.add(c.client()
            ? new JsonObject().put("toolCallId", c.toolCallId()).put("name", c.name()).put("arguments", c.arguments())
                .put("client", true)
            : new JsonObject().put("toolCallId", c.toolCallId()).put("name", c.name()).put("arguments", c.arguments())
                .put("result", c.result()).put("isError", c.isError())));
        answer.put("toolCalls", calls);
      }
      if (t.attempt() > 0) {
        answer.put("attempt", t.attempt());
      }
      messages.add(answer);
    }
    JsonObject transcript = new JsonObject().put("conversationId", conversationId).put("messages", messages);
    inProgress(turns).ifPresent(t -> transcript.put("inProgress", t.messageId()));
    return transcript;
  }

  /**
   * The turn whose answer is being generated, or is next to be: the earliest pending one (a conversation's
   * messages are answered in order; later pending turns wait behind it). A page that resumes the answer in
   * progress (the AI SDK's {@code useChat}) leaves it out of the history it shows.
   */
  public static Optional<Turn> inProgress(List<Turn> turns) {
    return turns.stream().filter(t -> t.status() == Turn.Status.PENDING).findFirst();
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
    long messageHash = record.key().substring(key.get().length() + 1).hashCode();
    long[] records = index.get(hash);
    if (record.value() == null) { // the turn was erased: its records go (an erased conversation leaves nothing)
      if (records != null) {
        long[] kept = new long[records.length];
        int n = 0;
        for (int i = 0; i < records.length; i += 2) {
          if (records[i] != messageHash) {
            kept[n++] = records[i];
            kept[n++] = records[i + 1];
          }
        }
        if (n == 0) {
          index.remove(hash);
        } else {
          index.put(hash, Arrays.copyOf(kept, n));
        }
      }
      return;
    }
    long[] more = records == null ? new long[2] : Arrays.copyOf(records, records.length + 2);
    more[more.length - 2] = messageHash;
    more[more.length - 1] = record.offset();
    index.put(hash, more);
  }
}
