package dev.tokenrail.worker.partition;

import io.vertx.kafka.client.common.TopicPartition;

/** Where a partition task reports how far its partition may be committed; the verticle owns the commits. */
@FunctionalInterface
public interface OffsetCommits {

  /** Every record of {@code partition} before {@code nextOffset} (the next offset to consume) needs nothing more. */
  void committable(TopicPartition partition, long nextOffset);
}
