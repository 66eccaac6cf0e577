package dev.tokenrail.gateway.conversations;

import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.ProtocolException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import dev.tokenrail.protocol.Partitioning;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import com.carrotsearch.hppc.LongLongHashMap;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When each conversation started, so {@code ?from=start} can find its first event with
 * {@code offsetsForTimes} instead of scanning a partition from its beginning.
 *
 * <p>The index is a compacted topic keyed by conversation, one small record each. Every gateway reads it
 * whole at start-up and follows it, like the events topic; a gateway writes a conversation's record when
 * it accepts a message of a conversation it does not know yet. Two gateways taking a conversation's first
 * two messages at once may both write; the start time then is one of the two, which the clock-skew
 * allowance of the lookup covers. Confined to the gateway's context.
 *
 * <p>Held as 64-bit key hashes ({@link KeyHash}) to start times, unboxed: about 40 bytes a conversation,
 * for as long as the conversation is retained (an idle one is erased, and its tombstone removes it here).
 * Two conversations sharing a hash would share the earlier start time, which makes a replay from the start
 * read further back than it needs, never miss anything.
 */
public final class ConversationStarts {

  private static final Logger log = LoggerFactory.getLogger(ConversationStarts.class);
  /** How long a question waits for the index to reach the partition's end before answering 503. */
  private static final Duration CATCH_UP_PATIENCE = Duration.ofSeconds(5);

  private final Vertx vertx;
  private final KafkaSettings kafka;
  private final KafkaProducer<String, Buffer> producer;
  private final LongLongHashMap startedAt = new LongLongHashMap();
  private final TopicFollower follower;
  private final LogLookups lookups;
  /** Catch-up questions in flight, by partition (see {@link #caughtUp}). */
  private final Map<Integer, Future<Void>> catchingUp = new HashMap<>();

  public ConversationStarts(Vertx vertx, KafkaSettings kafka, String clientId, KafkaProducer<String, Buffer> producer,
                            LogLookups lookups, java.util.function.IntPredicate ownedPartitions) {
    this.vertx = vertx;
    this.kafka = kafka;
    this.producer = producer;
    this.lookups = lookups;
    this.follower = new TopicFollower(vertx, kafka, clientId + "-starts", kafka.topics().conversations(), this::apply,
        ownedPartitions);
  }

  /** Completes once the whole topic, as it was at start-up, has been read. */
  public Future<Void> start() {
    return follower.start().onSuccess(v -> log.info("Conversation index restored: {} conversations", startedAt.size()));
  }

  public Future<Void> close() {
    return follower.close();
  }

  public boolean restored() {
    return follower.restored();
  }

  public OptionalLong startedAt(String kafkaKey) {
    long t = startedAt.getOrDefault(KeyHash.of(kafkaKey), -1);
    return t < 0 ? OptionalLong.empty() : OptionalLong.of(t);
  }

  /** Conversations known. */
  public int size() {
    return startedAt.size();
  }

  /** Forgets the conversation at once, on the gateway that erased it; the others read its tombstone. */
  public void forget(String kafkaKey) {
    startedAt.remove(KeyHash.of(kafkaKey));
  }

  /**
   * When the conversation started, once this gateway has read the index up to where it ended a moment
   * ago — so a conversation another gateway started a millisecond ago is known here too. Empty: the
   * conversation has no message. Answers at once for a conversation already known.
   */
  public Future<OptionalLong> startedAtNow(String kafkaKey) {
    OptionalLong known = startedAt(kafkaKey);
    if (known.isPresent()) {
      return Future.succeededFuture(known);
    }
    return caughtUp(Partitioning.partitionOf(kafkaKey, follower.partitionCount())).map(v -> startedAt(kafkaKey));
  }

  /**
   * Completes once the index has read its partition up to the end Kafka reports now. Questions about the
   * same partition at the same moment share one answer: many unknown conversations asked about at once
   * (made-up ids, say) cost one question to Kafka per partition, not one each.
   */
  private Future<Void> caughtUp(int partition) {
    Future<Void> asking = catchingUp.get(partition);
    if (asking != null) {
      return asking;
    }
    TopicPartition tp = new TopicPartition(kafka.topics().conversations(), partition);
    Future<Void> caughtUp = lookups.end(tp)
        .compose(end -> follower.appliedUpTo(partition, end).timeout(CATCH_UP_PATIENCE.toMillis(), TimeUnit.MILLISECONDS))
        .onComplete(ar -> catchingUp.remove(partition));
    if (!caughtUp.isComplete()) {
      catchingUp.put(partition, caughtUp);
    }
    return caughtUp;
  }

  /**
   * Records the conversation's start if this gateway has not seen one; completes once Kafka has it. A
   * write that fails is tried again a second later, once — without the record {@code ?from=start} would
   * find nothing of a conversation that never gets another message — and by the conversation's next
   * message after that.
   */
  public Future<Void> recordStart(String kafkaKey, long acceptedAt) {
    return recordStart(kafkaKey, acceptedAt, true);
  }

  private Future<Void> recordStart(String kafkaKey, long acceptedAt, boolean retry) {
    long hash = KeyHash.of(kafkaKey);
    if (startedAt.containsKey(hash)) {
      return Future.succeededFuture();
    }
    startedAt.put(hash, acceptedAt);
    return producer.send(KafkaProducerRecord.create(kafka.topics().conversations(), kafkaKey,
            ProtocolCodec.encodeConversationStart(acceptedAt)))
        .onFailure(e -> {
          if (startedAt.getOrDefault(hash, -1) == acceptedAt) {
            startedAt.remove(hash);
          }
          log.warn("Conversation start not stored{}: {}", retry ? ", trying again in 1 s" : "", e.toString());
          if (retry) {
            vertx.setTimer(1_000, id -> recordStart(kafkaKey, acceptedAt, false));
          }
        })
        .mapEmpty();
  }

  private void apply(KafkaConsumerRecord<String, Buffer> record) {
    if (record.key() == null) {
      return;
    }
    if (record.value() == null) { // the conversation was erased (deleted, or idle past its retention)
      startedAt.remove(KeyHash.of(record.key()));
      return;
    }
    try {
      long started = ProtocolCodec.decodeConversationStart(record.value());
      long hash = KeyHash.of(record.key());
      long known = startedAt.getOrDefault(hash, -1);
      startedAt.put(hash, known < 0 ? started : Math.min(known, started));
    } catch (ProtocolException e) {
      log.warn("Skipping a conversation index record that is not valid at {}@{}: {}",
          record.partition(), record.offset(), e.getMessage());
    }
  }
}
