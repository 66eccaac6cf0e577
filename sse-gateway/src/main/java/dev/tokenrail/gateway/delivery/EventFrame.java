package dev.tokenrail.gateway.delivery;

import dev.tokenrail.protocol.EventId;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.ProtocolException;
import dev.tokenrail.protocol.StreamEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One events record, validated once and framed for SSE: the record's own bytes as {@code data:}, never
 * re-encoded, with its position as {@code id:}. Live delivery and catch-up both make frames here.
 */
public record EventFrame(int partition, long offset, StreamEvent event, Buffer frame) {

  private static final Logger log = LoggerFactory.getLogger(EventFrame.class);

  /** The record as a frame, or empty (logged) when it is not a protocol v1 event. */
  public static Optional<EventFrame> of(KafkaConsumerRecord<String, Buffer> record) {
    try {
      return Optional.of(of(record.partition(), record.offset(), record.value()));
    } catch (ProtocolException e) {
      log.warn("Skipping an events record that is not protocol v1 at {}-{}@{}: {}",
          record.topic(), record.partition(), record.offset(), e.getMessage());
      return Optional.empty();
    }
  }

  /** The SSE id of this event: its position in the events topic. */
  public String id() {
    return new EventId(partition, offset).encode();
  }

  /** The record value at {@code partition}/{@code offset}, validated and framed; throws if it is not v1. */
  public static EventFrame of(int partition, long offset, Buffer value) {
    StreamEvent event = ProtocolCodec.decodeEvent(value);
    Buffer frame = SseFrames.event(new EventId(partition, offset).encode(), event.type().wireName(), value);
    return new EventFrame(partition, offset, event, frame);
  }
}
