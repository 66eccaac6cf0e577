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
import java.util.ArrayList;
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
 * <p>Every gateway follows the memory topic and keeps only an index — for each conversation, the offset of
 * each turn's latest record, some tens of bytes a turn — and reads the turns themselves when asked. Before
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
  /** Conversation key → message id → offset of the turn's latest record. */
  private final Map<String, Map<String, Long>> index = new HashMap<>();

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
          Map<String, Long> turns = index.get(conversationKey);
          if (turns == null) {
            return Future.succeededFuture(Optional.<List<Turn>>empty());
          }
          return reads.fetch(tp, new TreeSet<>(turns.values())).map(records -> Optional.of(decode(conversationKey, records)));
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

  private List<Turn> decode(String conversationKey, List<KafkaConsumerRecord<String, Buffer>> records) {
    List<Turn> turns = new ArrayList<>();
    for (KafkaConsumerRecord<String, Buffer> r : records) {
      if (r.value() == null || !Turn.conversationKeyOf(r.key()).map(conversationKey::equals).orElse(false)) {
        continue;
      }
      try {
        turns.add(ProtocolCodec.decodeTurn(r.value()));
      } catch (ProtocolException e) {
        log.warn("Skipping a memory record that is not valid at {}@{}: {}", r.partition(), r.offset(), e.getMessage());
      }
    }
    turns.sort(Comparator.comparingLong(Turn::requestOffset));
    return turns;
  }

  private void apply(KafkaConsumerRecord<String, Buffer> record) {
    Optional<String> key = Turn.conversationKeyOf(record.key());
    if (key.isEmpty()) {
      return;
    }
    String messageId = record.key().substring(key.get().length() + 1);
    if (record.value() == null) {
      Map<String, Long> turns = index.get(key.get());
      if (turns != null && turns.remove(messageId) != null && turns.isEmpty()) {
        index.remove(key.get()); // an erased conversation leaves nothing behind
      }
      return;
    }
    index.computeIfAbsent(key.get(), k -> new HashMap<>()).put(messageId, record.offset());
  }
}
