package dev.tokenrail.gateway.conversations;

import dev.tokenrail.gateway.http.ApiException;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.ProtocolException;
import dev.tokenrail.protocol.StreamEvent;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.MeterScope;
import dev.tokenrail.runtime.Telemetry;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounded reads of the log for the gateway's questions about a conversation: where a partition begins and
 * ends, where a time begins in it, where an event or a request is, the records at some offsets. One
 * consumer serves every lookup, one at a time, and another answers metadata questions; both are the
 * gateway's own (no group). Confined to the gateway's context.
 */
public final class LogLookups {

  private static final Logger log = LoggerFactory.getLogger(LogLookups.class);

  /** Where a partition's retained log begins and ends. */
  public record Bounds(long begin, long end) {
  }

  /** The first offset whose timestamp is at least the time asked, and that record's timestamp. */
  public record TimedOffset(long offset, long timestamp) {
  }

  private final Vertx vertx;
  private final KafkaSettings kafka;
  private final String clientId;
  private KafkaConsumer<String, Buffer> metadata;
  /** One consumer for every bounded lookup (replay starts, cancel checks, transcripts), one scan at a time. */
  private KafkaConsumer<String, Buffer> lookups;
  private final Line lookupLine = new Line();
  /** One consumer that reads single records (whose is this event?): never behind a scan. */
  private KafkaConsumer<String, Buffer> peeks;
  private final Line peekLine = new Line();
  private static final int MAX_QUEUED = 256;

  /** Work for one consumer, one at a time, in order. */
  private static final class Line {
    private Future<?> busy = Future.succeededFuture();
    private int queued;
  }

  private final Counter recordsRead;

  /** Its meter belongs to {@code meters}, tagged with the gateway's id ({@code clientId}). */
  public LogLookups(Vertx vertx, KafkaSettings kafka, String clientId, MeterScope meters) {
    this.vertx = vertx;
    this.kafka = kafka;
    this.clientId = clientId;
    this.recordsRead = Counter.builder("tokenrail.lookup.records.read")
        .description("records read by lookups in the log (replays from a message, cancels): what clients' lookups cost")
        .tag("gateway", clientId).register(Telemetry.registry());
    meters.add(recordsRead);
  }

  public Future<Void> start() {
    metadata = KafkaConsumer.create(vertx, consumerConfig(kafka, clientId + "-meta"));
    lookups = KafkaConsumer.create(vertx, consumerConfig(kafka, clientId + "-lookup"));
    Map<String, String> peekConfig = consumerConfig(kafka, clientId + "-peek");
    // It reads one record that exists, on a resume's way: a fetch left waiting at its last position (the
    // broker holds an empty fetch for fetch.max.wait.ms) must not hold up the next one.
    peekConfig.put("fetch.max.wait.ms", "1");
    peeks = KafkaConsumer.create(vertx, peekConfig);
    return Future.succeededFuture();
  }

  public Future<Void> close() {
    List<Future<Void>> closing = new ArrayList<>();
    if (metadata != null) {
      closing.add(metadata.close());
      closing.add(lookups.close());
      closing.add(peeks.close());
    }
    return Future.join(closing).mapEmpty();
  }

  /**
   * The settings of a consumer that reads from positions it seeks to: a position deleted meanwhile
   * continues from the oldest kept, and a fetch returns soon when there is little to read.
   */
  public static Map<String, String> consumerConfig(KafkaSettings kafka, String clientId) {
    Map<String, String> config = kafka.consumerConfig(clientId);
    config.put("auto.offset.reset", "earliest");
    config.put("fetch.max.wait.ms", "50");
    return config;
  }

  /** How many partitions each topic has (0 for a topic that does not exist). */
  public Future<Map<String, Integer>> partitionCounts(List<String> topics) {
    Map<String, Integer> counts = new java.util.HashMap<>();
    Future<Void> read = Future.succeededFuture();
    for (String topic : topics) {
      read = read.compose(v -> metadata.partitionsFor(topic).map(p -> {
        counts.put(topic, p.size());
        return null;
      }));
    }
    return read.map(v -> counts);
  }

  /** Bounds of a partition of the events topic. */
  public Future<Bounds> bounds(int eventsPartition) {
    return bounds(events(eventsPartition));
  }

  /** Where an events partition's retained log begins now (one question to Kafka). */
  public Future<Long> begin(int eventsPartition) {
    return metadata.beginningOffsets(events(eventsPartition));
  }

  /** Where a partition ends now (one question to Kafka; {@link #bounds} asks two). */
  public Future<Long> end(TopicPartition tp) {
    return metadata.endOffsets(tp);
  }

  public Future<Bounds> bounds(TopicPartition tp) {
    return metadata.beginningOffsets(tp).compose(begin -> metadata.endOffsets(tp).map(end -> new Bounds(begin, end)));
  }

  /** The first event of an events partition at or after {@code timestamp}; empty when every event is older. */
  public Future<Optional<TimedOffset>> offsetForTime(int eventsPartition, long timestamp) {
    return offsetForTime(events(eventsPartition), timestamp);
  }

  public Future<Optional<TimedOffset>> offsetForTime(TopicPartition tp, long timestamp) {
    // Kafka refuses a negative time; nothing is older than 0 anyway.
    return metadata.offsetsForTimes(tp, Math.max(0, timestamp))
        .map(o -> o == null ? Optional.<TimedOffset>empty() : Optional.of(new TimedOffset(o.getOffset(), o.getTimestamp())));
  }

  /**
   * Scans an events partition from {@code from} up to {@code until} (read again as the scan goes: live
   * delivery's position moves) for the first event of {@code kafkaKey} that {@code match}es, and returns
   * its offset.
   */
  public Future<OptionalLong> locate(int eventsPartition, long from, LongSupplier until, String kafkaKey,
                                     Predicate<StreamEvent> match, LookupBudget budget) {
    long[] found = {-1};
    return serialized(lookupLine, budget, () -> PartitionScan.run(lookups, events(eventsPartition), from, until, r -> {
      if (kafkaKey.equals(r.key())) {
        StreamEvent event = decodeEvent(r);
        if (event != null && match.test(event)) {
          found[0] = r.offset();
          return true;
        }
      }
      return false;
    }, budget, recordsRead::increment)).map(stopped -> stopped ? OptionalLong.of(found[0]) : OptionalLong.empty());
  }

  /**
   * The key of the events record at {@code offset}; empty when that offset holds no record any more. Reads
   * one record, on a consumer of its own, so it never waits behind a scan.
   */
  public Future<Optional<String>> keyOfEvent(int eventsPartition, long offset, LookupBudget budget) {
    return eventAt(eventsPartition, offset, budget).map(record -> record.flatMap(r -> Optional.ofNullable(r.key())));
  }

  /**
   * The events record at {@code offset}; empty when that offset holds no record any more. Reads one record, on the
   * same consumer as {@link #keyOfEvent}.
   */
  public Future<Optional<KafkaConsumerRecord<String, Buffer>>> eventAt(int eventsPartition, long offset, LookupBudget budget) {
    return serialized(peekLine, budget, () -> PartitionScan.fetch(peeks, events(eventsPartition),
        new java.util.TreeSet<>(List.of(offset))))
        .onSuccess(records -> recordsRead.increment(records.size()))
        .map(records -> records.isEmpty() ? Optional.empty() : Optional.of(records.get(0)));
  }

  /** A bounded scan of any partition (see {@link PartitionScan}). */
  public Future<Boolean> scan(TopicPartition tp, long from, long until, Predicate<KafkaConsumerRecord<String, Buffer>> stop,
                              LookupBudget budget) {
    return serialized(lookupLine, budget, () -> PartitionScan.run(lookups, tp, from, () -> until, stop, budget, recordsRead::increment));
  }

  /** The records at {@code offsets} of any partition (see {@link PartitionScan#fetch}). */
  public Future<List<KafkaConsumerRecord<String, Buffer>>> fetch(TopicPartition tp, NavigableSet<Long> offsets) {
    return serialized(lookupLine, null, () -> PartitionScan.fetch(lookups, tp, offsets));
  }

  /**
   * Runs lookups on the shared consumer one after another, whatever became of the previous one. At most
   * {@value #MAX_QUEUED} wait: beyond that the gateway is too busy to look anything up (503), and a lookup
   * whose client left while it waited never starts.
   */
  private <T> Future<T> serialized(Line line, LookupBudget budget, Supplier<Future<T>> lookup) {
    if (line.queued >= MAX_QUEUED) {
      return Future.failedFuture(new ApiException(503, "lookups_busy", "The gateway is busy looking up; try again."));
    }
    line.queued++;
    Future<T> result = line.busy.transform(previous -> {
      line.queued--;
      return budget != null && budget.abandoned().getAsBoolean()
          ? Future.failedFuture(LookupBudget.abandonedByClient()) : lookup.get();
    });
    line.busy = result;
    return result;
  }

  private TopicPartition events(int partition) {
    return new TopicPartition(kafka.topics().events(), partition);
  }

  private static StreamEvent decodeEvent(KafkaConsumerRecord<String, Buffer> r) {
    try {
      return ProtocolCodec.decodeEvent(r.value());
    } catch (ProtocolException e) {
      log.warn("Skipping an events record that is not protocol v1 at {}-{}@{}: {}",
          r.topic(), r.partition(), r.offset(), e.getMessage());
      return null;
    }
  }
}
