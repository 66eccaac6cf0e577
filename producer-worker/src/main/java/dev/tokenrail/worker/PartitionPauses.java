package dev.tokenrail.worker;

import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backpressure that keeps the worker in its group. Pausing the consumer as a Vert.x stream stops its
 * polls, and a member that does not poll for {@code max.poll.interval.ms} (5 min) is dropped: another worker
 * then answered its messages again while it went on writing them. So partitions are paused in the Kafka
 * consumer instead, which goes on polling (and gets nothing from them). Confined to the verticle's context.
 */
final class PartitionPauses {

  private static final Logger log = LoggerFactory.getLogger(PartitionPauses.class);

  private final KafkaConsumer<String, Buffer> consumer;
  /** Partitions the consumer was asked to pause. */
  private Set<TopicPartition> paused = new HashSet<>();

  PartitionPauses(KafkaConsumer<String, Buffer> consumer) {
    this.consumer = consumer;
  }

  /** Pauses exactly {@code wanted}: pauses what is newly in it, resumes what left it. */
  void pauseExactly(Set<TopicPartition> wanted) {
    Set<TopicPartition> pause = new HashSet<>(wanted);
    pause.removeAll(paused);
    Set<TopicPartition> resume = new HashSet<>(paused);
    resume.removeAll(wanted);
    paused = new HashSet<>(wanted);
    // A partition revoked meanwhile is refused by the consumer; the next assignment starts unpaused anyway.
    if (!pause.isEmpty()) {
      consumer.pause(pause).onFailure(e -> log.debug("Pausing {}: {}", pause, e.toString()));
    }
    if (!resume.isEmpty()) {
      consumer.resume(resume).onFailure(e -> log.debug("Resuming {}: {}", resume, e.toString()));
    }
  }

  /** A revoked partition: assigned again, it starts unpaused. */
  void forget(TopicPartition tp) {
    paused.remove(tp);
  }
}
