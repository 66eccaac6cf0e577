package dev.tokenrail.gateway.delivery;

import dev.tokenrail.runtime.MeterScope;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.Telemetry;
import io.micrometer.core.instrument.FunctionCounter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.PartitionInfo;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.KafkaConsumerRecords;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's live reader of the events topic. It {@code assign}s the partitions its group owns — every
 * partition unless {@code TOKENRAIL_GATEWAY_PARTITIONS} says otherwise — with no consumer group, so gateways never
 * rebalance; starts at the end, and writes each record to the {@code LIVE} subscriptions of its conversation. A
 * record nobody here listens to costs one map lookup. It counts the records it reads per partition
 * ({@code tokenrail.events.read}), which shows what a gateway group reads.
 *
 * <p>It also tells, per partition, the next offset it will deliver ({@link #liveNext}): catch-up reads
 * stop exactly there and hand their subscriptions over — and whose each of the latest events was
 * ({@link RecentEvents}), so a resume from one needs nothing from Kafka. Confined to the gateway's context.
 */
final class EventsReader {

  private static final Logger log = LoggerFactory.getLogger(EventsReader.class);

  private final Vertx vertx;
  private final KafkaSettings kafka;
  private final String clientId;
  private final Map<String, List<Subscription>> subscriptions = new HashMap<>();
  private KafkaConsumer<String, Buffer> consumer;
  private long[] liveNext = new long[0];
  private final int recentEventsPerPartition;
  private RecentEvents recent = new RecentEvents(0, 0);
  private boolean assigned;
  private volatile long lag;

  private final MeterScope meters;
  private final IntPredicate owned;
  /** Records read per partition, for {@code tokenrail.events.read}; written on the context, read on scrape. */
  private volatile long[] readPerPartition = new long[0];

  EventsReader(Vertx vertx, KafkaSettings kafka, String clientId, MeterScope meters, int recentEventsPerPartition,
               IntPredicate owned) {
    this.meters = meters;
    this.owned = owned;
    this.recentEventsPerPartition = recentEventsPerPartition;
    this.vertx = vertx;
    this.kafka = kafka;
    this.clientId = clientId;
  }

  /** Completes once every partition of the group is assigned and its position is resolved to the current end. */
  Future<Void> start() {
    Map<String, String> config = kafka.consumerConfig(clientId);
    config.put("auto.offset.reset", "latest");
    // A token is worth delivering at once: answer a fetch as soon as any byte is there.
    config.put("fetch.min.bytes", "1");
    config.put("fetch.max.wait.ms", "100");
    // Under load a poll brings many records of each conversation; they become one write per client.
    config.put("max.poll.records", "5000");
    consumer = KafkaConsumer.create(vertx, config);
    consumer.exceptionHandler(e -> log.warn("Events reader error: {}", e.toString()));
    meters.bindKafka(consumer.unwrap());
    String topic = kafka.topics().events();
    return consumer.partitionsFor(topic)
        .compose(infos -> {
          if (infos.isEmpty()) {
            return Future.failedFuture("topic " + topic + " does not exist");
          }
          int count = infos.size();
          List<TopicPartition> partitions = infos.stream()
              .map(PartitionInfo::getPartition).filter(owned::test).sorted().map(p -> new TopicPartition(topic, p)).toList();
          if (partitions.isEmpty()) {
            return Future.failedFuture("the events topic " + topic + " has none of this gateway's partitions");
          }
          readPerPartition = new long[count];
          for (int p = 0; p < count; p++) {
            final int partition = p;
            meters.add(FunctionCounter.builder("tokenrail.events.read", this, r -> r.readPerPartition[partition])
                .description("records of the events topic this gateway read, per partition: its group's only")
                .tag("gateway", clientId).tag("partition", Integer.toString(p)).register(Telemetry.registry()));
          }
          return consumer.assign(new java.util.HashSet<>(partitions))
              .compose(v -> consumer.seekToEnd(new java.util.HashSet<>(partitions)))
              .compose(v -> Future.all(partitions.stream().map(consumer::position).toList()))
              .map(positions -> {
                liveNext = new long[count];
                recent = new RecentEvents(count, recentEventsPerPartition);
                for (int i = 0; i < partitions.size(); i++) {
                  liveNext[partitions.get(i).getPartition()] = positions.<Long>resultAt(i);
                }
                return null;
              });
        })
        .onSuccess(v -> {
          consumer.batchHandler(this::dispatch); // a whole poll in one event-loop task, no per-record hop
          assigned = true;
          log.info("Events reader assigned {} of the {} partitions of {}", partitionsRead(), liveNext.length, topic);
        })
        .mapEmpty();
  }

  Future<Void> close() {
    return consumer == null ? Future.succeededFuture() : consumer.close();
  }

  /** Records of the topic not yet read, as last sampled ({@link #sampleLag}). */
  long lag() {
    return lag;
  }

  /** Asks Kafka where each partition ends and compares with where live delivery is. */
  void sampleLag() {
    if (!assigned) {
      return;
    }
    String topic = kafka.topics().events();
    java.util.Set<TopicPartition> partitions = new java.util.HashSet<>();
    for (int p = 0; p < liveNext.length; p++) {
      if (owned.test(p)) {
        partitions.add(new TopicPartition(topic, p));
      }
    }
    consumer.endOffsets(partitions).onSuccess(ends -> {
      long behind = 0;
      for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
        behind += Math.max(0, e.getValue() - liveNext[e.getKey().getPartition()]);
      }
      lag = behind;
    });
  }

  boolean assigned() {
    return assigned;
  }

  private long partitionsRead() {
    return java.util.stream.IntStream.range(0, liveNext.length).filter(owned).count();
  }

  /** The topic's partition count (this gateway may read only some of them). */
  int partitionCount() {
    return liveNext.length;
  }

  /** The next offset of {@code partition} that live delivery will hand to subscriptions. */
  long liveNext(int partition) {
    return liveNext[partition];
  }

  /** A catch-up decoded the record at {@code offset}: {@code count} events (see {@link RecentEvents#decoded}). */
  void decoded(int partition, long offset, int count) {
    recent.decoded(partition, offset, count);
  }

  /** The event at {@code offset} if it is among the latest live delivery read ({@link RecentEvents}); else null. */
  RecentEvents.Seen seen(int partition, long offset) {
    return recent.seen(partition, offset);
  }

  void add(Subscription subscription) {
    subscriptions.computeIfAbsent(subscription.kafkaKey(), k -> new ArrayList<>(1)).add(subscription);
  }

  void remove(Subscription subscription) {
    List<Subscription> list = subscriptions.get(subscription.kafkaKey());
    if (list != null && list.remove(subscription) && list.isEmpty()) {
      subscriptions.remove(subscription.kafkaKey());
    }
  }

  int subscriptionCount() {
    return subscriptions.values().stream().mapToInt(List::size).sum();
  }

  long subscriptionsIn(Subscription.Mode mode) {
    return subscriptions.values().stream().flatMap(List::stream).filter(s -> s.mode() == mode).count();
  }

  /** Hands a poll's records to their live subscriptions, then writes once to each client that got any. */
  private void dispatch(KafkaConsumerRecords<String, Buffer> records) {
    List<Subscription> written = new ArrayList<>();
    for (int i = 0; i < records.size(); i++) {
      KafkaConsumerRecord<String, Buffer> record = records.recordAt(i);
      liveNext[record.partition()] = record.offset() + 1;
      readPerPartition[record.partition()]++;
      recent.add(record.partition(), record.offset(), record.key(), record.timestamp());
      List<Subscription> listeners = subscriptions.get(record.key());
      if (listeners == null) {
        continue;
      }
      List<EventFrame> frames = EventFrame.of(record);
      recent.decoded(record.partition(), record.offset(), frames.size());
      for (Subscription subscription : listeners) {
        if (subscription.mode() != Subscription.Mode.LIVE) {
          continue;
        }
        boolean started = false;
        for (EventFrame frame : frames) { // one that falls behind mid-run catches up from inside the record
          if (subscription.mode() != Subscription.Mode.LIVE) {
            break;
          }
          started |= subscription.deliver(frame);
        }
        if (started) {
          written.add(subscription);
        }
      }
    }
    written.forEach(Subscription::flush);
  }
}
