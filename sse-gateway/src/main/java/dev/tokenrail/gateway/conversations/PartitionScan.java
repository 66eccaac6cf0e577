package dev.tokenrail.gateway.conversations;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * A bounded read of one partition: from an offset up to a limit, each record offered to a visitor that
 * says when it has seen enough, within a {@link LookupBudget} of records and time that ends it early (and
 * stops it when its client has gone). For lookups that start from a time, so they read seconds of a
 * partition, never all of it. The consumer is the caller's, one scan at a time.
 */
final class PartitionScan {

  private static final Duration POLL = Duration.ofMillis(100);

  private PartitionScan() {
  }

  /**
   * @param until  the offset to stop before, read again after every poll (it may move, like live delivery's)
   * @param stop   called per record in order; true ends the scan
   * @return true if {@code stop} ended it, false if the limit was reached first; failed with an
   *         {@code ApiException} when the budget ran out or the client left first
   */
  static Future<Boolean> run(KafkaConsumer<String, Buffer> consumer, TopicPartition tp, long from,
                             LongSupplier until, Predicate<KafkaConsumerRecord<String, Buffer>> stop,
                             LookupBudget budget, LongConsumer recordsRead) {
    long deadline = System.nanoTime() + budget.maxTime().toNanos();
    long[] read = {0};
    Promise<Boolean> ended = Promise.promise();
    consumer.assign(tp).compose(v -> consumer.seek(tp, from))
        .onSuccess(v -> next(consumer, tp, until, stop, budget, deadline, read, ended))
        .onFailure(ended::fail);
    return ended.future().onComplete(ar -> recordsRead.accept(read[0]));
  }

  /*
   * Each step starts the next from its callback and the last completes one promise: chained as futures,
   * the thousands of polls of a long read would complete recursively, that deep.
   */
  private static void next(KafkaConsumer<String, Buffer> consumer, TopicPartition tp, LongSupplier until,
                           Predicate<KafkaConsumerRecord<String, Buffer>> stop, LookupBudget budget,
                           long deadline, long[] read, Promise<Boolean> ended) {
    try {
      if (budget.abandoned().getAsBoolean()) {
        ended.fail(LookupBudget.abandonedByClient());
        return;
      }
    } catch (RuntimeException e) {
      ended.fail(e);
      return;
    }
    if (read[0] > budget.maxRecords() || System.nanoTime() - deadline > 0) {
      ended.fail(LookupBudget.spent());
      return;
    }
    consumer.poll(POLL).onFailure(ended::fail).onSuccess(records -> {
      read[0] += records.size();
      long limit;
      try {
        limit = until.getAsLong();
        for (int i = 0; i < records.size(); i++) {
          KafkaConsumerRecord<String, Buffer> r = records.recordAt(i);
          if (r.offset() >= limit) {
            ended.complete(false);
            return;
          }
          if (stop.test(r)) {
            ended.complete(true);
            return;
          }
        }
      } catch (RuntimeException e) {
        ended.fail(e);
        return;
      }
      consumer.position(tp).onFailure(ended::fail).onSuccess(position -> {
        if (position >= limit) {
          ended.complete(false);
        } else {
          next(consumer, tp, until, stop, budget, deadline, read, ended);
        }
      });
    });
  }

  /**
   * The records at {@code offsets} (sorted), read with as few seeks as they allow: after a seek, every
   * wanted record in the fetched batch is taken. An offset that no longer holds a record (compacted away)
   * is left out.
   */
  static Future<List<KafkaConsumerRecord<String, Buffer>>> fetch(KafkaConsumer<String, Buffer> consumer,
                                                                 TopicPartition tp, NavigableSet<Long> offsets) {
    List<KafkaConsumerRecord<String, Buffer>> found = new ArrayList<>();
    if (offsets.isEmpty()) {
      return Future.succeededFuture(found);
    }
    Promise<List<KafkaConsumerRecord<String, Buffer>>> fetched = Promise.promise();
    consumer.assign(tp).onFailure(fetched::fail)
        .onSuccess(v -> fetchFrom(consumer, tp, offsets, offsets.first(), found, 0, fetched));
    return fetched.future();
  }

  private static void fetchFrom(KafkaConsumer<String, Buffer> consumer, TopicPartition tp, NavigableSet<Long> offsets,
                                Long next, List<KafkaConsumerRecord<String, Buffer>> found, int emptyPolls,
                                Promise<List<KafkaConsumerRecord<String, Buffer>>> fetched) {
    if (next == null) {
      fetched.complete(found);
      return;
    }
    consumer.seek(tp, next).compose(v -> consumer.poll(POLL)).onFailure(fetched::fail).onSuccess(records -> {
      if (records.isEmpty()) { // nothing fetched yet, or nothing there: a few tries, then what was found
        if (emptyPolls >= 10) {
          fetched.complete(found);
        } else {
          fetchFrom(consumer, tp, offsets, next, found, emptyPolls + 1, fetched);
        }
        return;
      }
      long last = next - 1;
      for (int i = 0; i < records.size(); i++) {
        KafkaConsumerRecord<String, Buffer> r = records.recordAt(i);
        last = r.offset();
        if (offsets.contains(last)) {
          found.add(r);
        }
      }
      fetchFrom(consumer, tp, offsets, offsets.higher(Math.max(last, next)), found, 0, fetched);
    });
  }
}
