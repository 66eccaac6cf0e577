package dev.tokenrail.worker;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits what the partition tasks report done, in batches. vertx-kafka-client commits synchronously on
 * the consumer's one thread, between polls: a commit per finished record (three per message, with the
 * markers) queued thousands of blocking commits after a burst and delayed the next poll — new messages
 * started seconds late (measured: POST -> start p50 9.9 s after a 1,000-message round). So one commit runs
 * at a time, and offsets that finish while it is in flight go with the next one. Confined to the
 * verticle's context.
 */
final class OffsetCommitter {

  private static final Logger log = LoggerFactory.getLogger(OffsetCommitter.class);

  private final KafkaConsumer<String, Buffer> consumer;
  /** Offsets finished and not yet committed, per partition. */
  private final Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
  private Future<Void> committing;

  OffsetCommitter(KafkaConsumer<String, Buffer> consumer) {
    this.consumer = consumer;
  }

  /** A task's records before {@code next} need nothing more: its partition is committed up to there. */
  void committable(TopicPartition tp, long next) {
    toCommit.put(tp, new OffsetAndMetadata(next, ""));
    commitPending();
  }

  /** A revoked partition's new owner commits it from now on. */
  void forget(TopicPartition tp) {
    toCommit.remove(tp);
  }

  /** Commits the latest finished offset of every partition; completes once nothing is left to commit. */
  Future<Void> commitPending() {
    if (committing != null || toCommit.isEmpty()) {
      return committing == null ? Future.succeededFuture() : committing;
    }
    Map<TopicPartition, OffsetAndMetadata> batch = new HashMap<>(toCommit);
    toCommit.clear();
    committing = consumer.commit(batch)
        .onFailure(e -> log.warn("Commit of {} failed: {}", batch, e.toString()))
        .transform(ar -> {
          committing = null;
          return commitPending();
        });
    return committing;
  }
}
