package dev.tokenrail.gateway.delivery;

import dev.tokenrail.gateway.conversations.LogLookups;
import dev.tokenrail.runtime.KafkaSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.KafkaConsumerRecords;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the events log from a position for subscriptions that are behind live delivery — a resume, a
 * replay, a client that stalled — and hands them to the {@link EventsReader} once they reach it.
 *
 * <p>A few consumers ("lanes", {@code TOKENRAIL_CATCHUP_READERS}) serve every catch-up of the gateway;
 * one scan of a partition serves every subscription waiting on that partition, so a reconnect storm
 * after a gateway dies costs a few reads per partition rather than one consumer per client.
 * Confined to the gateway's context.
 */
final class CatchUpLanes {

  private static final Logger log = LoggerFactory.getLogger(CatchUpLanes.class);
  private static final Duration POLL = Duration.ofMillis(100);

  private final Vertx vertx;
  private final KafkaSettings kafka;
  private final String clientId;
  private final EventsReader live;
  private final List<Lane> lanes = new ArrayList<>();

  CatchUpLanes(Vertx vertx, KafkaSettings kafka, String clientId, EventsReader live) {
    this.vertx = vertx;
    this.kafka = kafka;
    this.clientId = clientId;
    this.live = live;
  }

  Future<Void> start(int laneCount) {
    for (int i = 0; i < laneCount; i++) {
      lanes.add(new Lane(KafkaConsumer.create(vertx, consumerConfig("catchup-" + i))));
    }
    return Future.succeededFuture();
  }

  Future<Void> close() {
    List<Future<Void>> closing = new ArrayList<>();
    lanes.forEach(l -> closing.add(l.consumer.close()));
    return Future.join(closing).mapEmpty();
  }

  /**
   * Queues a {@code CATCHING_UP} subscription; it is delivered from its {@code nextOffset} and goes live.
   * Each call is a new round of catch-up for it ({@link Waiting}).
   */
  void catchUp(Subscription subscription) {
    lanes.stream().min(Comparator.comparingInt(Lane::load)).orElseThrow()
        .enqueue(new Waiting(subscription, subscription.newCatchUpRound()));
  }

  /**
   * A subscription queued for a round of catch-up. A lane serves it only while that round lasts: one that
   * fell behind during the lane's scan and drained is queued again, as a new round, from its own position —
   * the lane that was reading for it has read past events it skipped while the stream was behind, and
   * letting it back into that scan would make it jump over them.
   */
  private record Waiting(Subscription subscription, long round) {
    boolean current() {
      return !subscription.isClosed() && subscription.mode() == Subscription.Mode.CATCHING_UP
          && subscription.catchUpRound() == round;
    }
  }

  private Map<String, String> consumerConfig(String role) {
    return LogLookups.consumerConfig(kafka, clientId + "-" + role);
  }

  private TopicPartition tp(int partition) {
    return new TopicPartition(kafka.topics().events(), partition);
  }

  /** One consumer and its queue; it scans one partition at a time for every subscription waiting on it. */
  private final class Lane {
    private final KafkaConsumer<String, Buffer> consumer;
    private final ArrayDeque<Waiting> queue = new ArrayDeque<>();
    private int running;

    Lane(KafkaConsumer<String, Buffer> consumer) {
      this.consumer = consumer;
    }

    int load() {
      return queue.size() + running;
    }

    void enqueue(Waiting waiting) {
      queue.add(waiting);
      pump();
    }

    private void pump() {
      if (running > 0 || queue.isEmpty()) {
        return;
      }
      int partition = queue.peekFirst().subscription().partition();
      List<Waiting> batch = new ArrayList<>();
      for (Iterator<Waiting> it = queue.iterator(); it.hasNext(); ) {
        Waiting w = it.next();
        if (w.subscription().partition() == partition) {
          batch.add(w);
          it.remove();
        }
      }
      running = batch.size();
      TopicPartition tp = tp(partition);
      long from = batch.stream().filter(Waiting::current).mapToLong(w -> w.subscription().nextOffset()).min()
          .orElse(-1);
      if (from < 0) { // every one of them closed, or queued again as a later round, meanwhile
        running = 0;
        pump();
        return;
      }
      Promise<Void> scanned = Promise.promise();
      consumer.assign(tp)
          .compose(v -> consumer.seek(tp, from))
          .onSuccess(v -> scan(tp, batch, scanned))
          .onFailure(scanned::fail);
      scanned.future()
          .onFailure(e -> {
            log.warn("Catch-up of {} failed: {}; closing its {} streams so clients resume", tp, e.toString(), batch.size());
            batch.stream().filter(Waiting::current).map(Waiting::subscription).forEach(Subscription::fail);
          })
          .onComplete(ar -> {
            running = 0;
            pump();
          });
    }

    /**
     * One poll of the scan, then the next from its callback: a scan of a long backlog is thousands of polls,
     * and chaining them as futures made their completion recurse that deep (a stack overflow that left the
     * lane stuck).
     */
    private void scan(TopicPartition tp, List<Waiting> batch, Promise<Void> scanned) {
      List<Subscription> active = batch.stream().filter(Waiting::current).map(Waiting::subscription).toList();
      if (active.isEmpty()) {
        scanned.complete();
        return;
      }
      consumer.poll(POLL).onComplete(polled -> {
        if (polled.failed()) {
          scanned.fail(polled.cause());
          return;
        }
        // Served only while their round lasts: one that fell behind in this poll is out of this scan for good.
        List<Subscription> stillActive = batch.stream().filter(Waiting::current).map(Waiting::subscription).toList();
        try {
          if (deliverUntilLive(tp.getPartition(), polled.result(), stillActive)) {
            scanned.complete();
            return;
          }
        } catch (RuntimeException e) { // the lane must go on to its next batch whatever happens here
          scanned.fail(e);
          return;
        }
        consumer.position(tp).onComplete(position -> {
          if (position.failed()) {
            scanned.fail(position.cause());
          } else if (position.result() >= live.liveNext(tp.getPartition())) {
            handOver(batch.stream().filter(Waiting::current).map(Waiting::subscription).toList(), tp.getPartition());
            scanned.complete();
          } else {
            scan(tp, batch, scanned);
          }
        });
      });
    }

    /** Writes the batch to the subscriptions it belongs to (one write each); true once the read reached live delivery. */
    private boolean deliverUntilLive(int partition, KafkaConsumerRecords<String, Buffer> records, List<Subscription> active) {
      try {
        return deliverBatch(partition, records, active);
      } finally {
        active.forEach(Subscription::flush);
      }
    }

    private boolean deliverBatch(int partition, KafkaConsumerRecords<String, Buffer> records, List<Subscription> active) {
      long liveNext = live.liveNext(partition);
      for (int i = 0; i < records.size(); i++) {
        KafkaConsumerRecord<String, Buffer> r = records.recordAt(i);
        if (r.offset() >= liveNext) {
          handOver(active, partition);
          return true;
        }
        List<EventFrame> frames = null;
        for (Subscription s : active) {
          if (s.mode() == Subscription.Mode.CATCHING_UP && s.kafkaKey().equals(r.key())) {
            if (frames == null) {
              frames = EventFrame.of(r);
              live.decoded(partition, r.offset(), frames.size());
            }
            for (EventFrame frame : frames) { // one that falls behind mid-run catches up from inside the record
              if (s.mode() != Subscription.Mode.CATCHING_UP) {
                break;
              }
              s.deliver(frame);
            }
          }
        }
      }
      return false;
    }

    /** Everything below live delivery's position has been read for them: live delivery takes over. */
    private void handOver(List<Subscription> active, int partition) {
      long liveNext = live.liveNext(partition);
      for (Subscription s : active) {
        if (s.mode() == Subscription.Mode.CATCHING_UP) {
          s.coveredUpTo(liveNext);
          s.goLive();
        }
      }
    }
  }
}
