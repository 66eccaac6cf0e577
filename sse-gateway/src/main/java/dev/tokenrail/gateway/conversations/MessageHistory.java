package dev.tokenrail.gateway.conversations;

import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.ProtocolException;
import dev.tokenrail.protocol.RequestRecord;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import java.time.Duration;
import java.util.function.IntSupplier;

/**
 * What a message's requests partition says about it: was it accepted, has it ended. The partition is
 * read from the message's time on (its id is a UUIDv7), so a lookup reads seconds of it, not all.
 */
public final class MessageHistory {

  public enum Status { UNKNOWN, NOT_ENDED, ENDED }

  private final LogLookups lookups;
  private final ConversationStarts starts;
  private final String requestsTopic;
  private final IntSupplier partitionCount;
  private final Duration clockSkew;

  public MessageHistory(LogLookups lookups, ConversationStarts starts, String requestsTopic, IntSupplier partitionCount,
                        Duration clockSkew) {
    this.lookups = lookups;
    this.starts = starts;
    this.requestsTopic = requestsTopic;
    this.partitionCount = partitionCount;
    this.clockSkew = clockSkew;
  }

  /**
   * {@code messageId} must be a message id ({@link ConversationIds#acceptedAt} present). A message dated
   * before its conversation started, or in the future, is unknown without reading anything: its id is
   * made up, and the scan it would start is what a made-up id must not get.
   */
  public Future<Status> status(String kafkaKey, String messageId, LookupBudget budget) {
    long acceptedAt = ConversationIds.acceptedAt(messageId).orElseThrow();
    return starts.startedAtNow(kafkaKey).compose(started ->
        !ConversationIds.couldBelong(acceptedAt, started, clockSkew.toMillis(), System.currentTimeMillis())
            ? Future.succeededFuture(Status.UNKNOWN)
            : scan(kafkaKey, messageId, acceptedAt, budget));
  }

  private Future<Status> scan(String kafkaKey, String messageId, long acceptedAt, LookupBudget budget) {
    TopicPartition tp = new TopicPartition(requestsTopic, Partitioning.partitionOf(kafkaKey, partitionCount.getAsInt()));
    long since = acceptedAt - clockSkew.toMillis();
    boolean[] accepted = {false};
    boolean[] ended = {false};
    return lookups.bounds(tp)
        .compose(bounds -> lookups.offsetForTime(tp, since).compose(start -> start.isEmpty()
            ? Future.succeededFuture(false)
            : lookups.scan(tp, start.get().offset(), bounds.end(), r -> {
              if (kafkaKey.equals(r.key())) {
                RequestRecord record = decodeQuietly(r.value());
                if (record != null && record.messageId().equals(messageId)) {
                  accepted[0] |= record instanceof MessageRequest;
                  ended[0] |= record instanceof RequestRecord.Ended;
                }
              }
              return ended[0];
            }, budget)))
        .map(v -> !accepted[0] ? Status.UNKNOWN : ended[0] ? Status.ENDED : Status.NOT_ENDED);
  }

  private static RequestRecord decodeQuietly(Buffer value) {
    try {
      return ProtocolCodec.decodeRequest(value);
    } catch (ProtocolException e) {
      return null; // not ours to judge here; the worker dead-letters it
    }
  }
}
