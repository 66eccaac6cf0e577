package dev.tokenrail.bench;

import dev.tokenrail.protocol.Topics;
import dev.tokenrail.worker.WorkerConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The worker group's lag on the requests topic, as {@code kafka-consumer-groups --describe} would show it:
 * each partition's end offset less the group's committed offset, summed. (The gateway's own lag on the
 * events topic is its {@code tokenrail_events_reader_lag} metric.) Under load it is about the messages
 * being answered — the worker commits a record once its answer ended — so what matters is that it does
 * not grow, and that it is back near zero once the load has drained.
 */
final class ConsumerLag implements AutoCloseable {

  private final Admin admin;
  private final String topic = new Topics(Topics.DEFAULT_PREFIX).requests();

  ConsumerLag(String bootstrapServers) {
    this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.CLIENT_ID_CONFIG, "tokenrail-soak-lag"));
  }

  /** Records of the requests topic the worker group has not committed; -1 when Kafka did not answer. */
  long workerGroupLag() {
    try {
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(WorkerConfig.GROUP_ID)
          .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
      TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
      description.partitions().forEach(p -> {
        latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
        earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest());
      });
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = admin.listOffsets(earliest).all().get(10, TimeUnit.SECONDS);
      long lag = 0;
      for (TopicPartition tp : latest.keySet()) {
        OffsetAndMetadata c = committed.get(tp);
        lag += ends.get(tp).offset() - (c != null ? c.offset() : starts.get(tp).offset());
      }
      return lag;
    } catch (Exception e) {
      System.out.println("  worker group lag unavailable: " + SoakCounters.describe(e));
      return -1;
    }
  }

  @Override
  public void close() {
    admin.close(java.time.Duration.ofSeconds(5));
  }
}
