package dev.tokenrail.worker;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
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

  private static final long REBALANCE_RETRY_MILLIS = 200;

  private final Vertx vertx;
  private final KafkaConsumer<String, Buffer> consumer;
  /** Offsets finished and not yet committed, per partition. */
  private final Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
  private Future<Void> committing;
  /** The offsets last committed, per partition: committing them again proves membership. */
  private final Map<TopicPartition, OffsetAndMetadata> lastCommitted = new HashMap<>();

  OffsetCommitter(Vertx vertx, KafkaConsumer<String, Buffer> consumer) {
    this.vertx = vertx;
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
    lastCommitted.remove(tp);
  }

  /**
   * Whether this worker is still a member of its group, as the group coordinator says: a commit that
   * starts after this call (the offsets already committed, again, with any new ones) succeeds only for a
   * current member. A worker paused past its session (a long GC, a paused container) is no longer one,
   * though nothing has told it yet: its partitions were given to another. Completes with false only when
   * the coordinator refused the commit as from a former member; true otherwise, including when nothing
   * was committed yet (nothing to commit again) or the commit failed for another reason (Kafka away).
   * Answers that end at the same moment share one commit.
   */
  Future<Boolean> stillMember() {
    if (lastCommitted.isEmpty() && toCommit.isEmpty() && committing == null) {
      return Future.succeededFuture(true);
    }
    lastCommitted.forEach(toCommit::putIfAbsent);
    return commitPending().map(v -> true).recover(e -> {
      if (e instanceof RebalanceInProgressException) { // rejoining: ask again once the rebalance has settled
        Promise<Boolean> later = Promise.promise();
        vertx.setTimer(REBALANCE_RETRY_MILLIS, id -> stillMember().onComplete(later));
        return later.future();
      }
      return Future.succeededFuture(!(e instanceof CommitFailedException));
    });
  }

  /**
   * Commits the latest finished offset of every partition; completes once nothing is left to commit, and
   * fails if a round it waited on failed.
   */
  Future<Void> commitPending() {
    if (committing != null || toCommit.isEmpty()) {
      return committing == null ? Future.succeededFuture() : committing;
    }
    Map<TopicPartition, OffsetAndMetadata> batch = new HashMap<>(toCommit);
    toCommit.clear();
    committing = consumer.commit(batch)
        .onSuccess(v -> lastCommitted.putAll(batch))
        .onFailure(e -> log.warn("Commit of {} failed: {}", batch, e.toString()))
        .transform(ar -> {
          committing = null;
          Future<Void> next = commitPending();
          // What waited on this round learns how it went, even when a next round succeeds.
          return ar.failed() ? next.transform(n -> Future.<Void>failedFuture(ar.cause())) : next;
        });
    return committing;
  }
}
