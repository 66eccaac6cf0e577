package dev.tokenrail.gateway.delivery;

import dev.tokenrail.protocol.EventId;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.ProtocolException;
import dev.tokenrail.protocol.StreamEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event a client may be sent, validated once and framed for SSE with its position as {@code id:}. A record of
 * one event is framed with the record's own bytes as {@code data:}, never re-encoded. A record holding a run of
 * tokens ({@link StreamEvent.Tokens}) is as many frames as it has tokens: each a {@code token} event of its own,
 * the {@code part}-th of the record, with an id that names it ({@link EventId}), so a client resumes between two
 * tokens of one record as between two records. Live delivery and catch-up both make frames here.
 */
public final class EventFrame {

  private static final Logger log = LoggerFactory.getLogger(EventFrame.class);

  private final int partition;
  private final long offset;
  private final int part;
  private final boolean lastOfRecord;
  private final StreamEvent event;
  private Buffer frame;

  private EventFrame(int partition, long offset, int part, boolean lastOfRecord, StreamEvent event, Buffer frame) {
    this.partition = partition;
    this.offset = offset;
    this.part = part;
    this.lastOfRecord = lastOfRecord;
    this.event = event;
    this.frame = frame;
  }

  /** The record's events as frames, or none (logged) when it is not a protocol v1 event. */
  public static List<EventFrame> of(KafkaConsumerRecord<String, Buffer> record) {
    try {
      return of(record.partition(), record.offset(), record.value());
    } catch (ProtocolException e) {
      log.warn("Skipping an events record that is not protocol v1 at {}-{}@{}: {}",
          record.topic(), record.partition(), record.offset(), e.getMessage());
      return List.of();
    }
  }

  /** The record value at {@code partition}/{@code offset}, validated and framed; throws if it is not v1. */
  public static List<EventFrame> of(int partition, long offset, Buffer value) {
    StreamEvent event = ProtocolCodec.decodeEvent(value);
    if (event instanceof StreamEvent.Tokens run) {
      List<StreamEvent.Token> tokens = run.tokens();
      List<EventFrame> frames = new ArrayList<>(tokens.size());
      for (int i = 0; i < tokens.size(); i++) {
        frames.add(new EventFrame(partition, offset, i, i == tokens.size() - 1, tokens.get(i), null));
      }
      return frames;
    }
    return List.of(new EventFrame(partition, offset, 0, true, event,
        SseFrames.event(new EventId(partition, offset).encode(), event.type().wireName(), value)));
  }

  /** The SSE id of this event: its position in the events topic (and in its record, before a run's last token). */
  public String id() {
    return new EventId(partition, offset, lastOfRecord ? EventId.WHOLE : part).encode();
  }

  /** The event framed as the native stream sends it: {@code id:}, {@code event:} and its v1 JSON as {@code data:}. */
  public Buffer frame() {
    if (frame == null) { // a token of a run: encoded as the one-token record it stands for, only if a client needs it
      frame = SseFrames.event(id(), event.type().wireName(), ProtocolCodec.encode(event));
    }
    return frame;
  }

  public StreamEvent event() {
    return event;
  }

  public int partition() {
    return partition;
  }

  public long offset() {
    return offset;
  }

  /** Which of its record's events this is: 0 for a record of one event. */
  public int part() {
    return part;
  }

  /** Whether this is its record's last event, after which a client needs nothing more of the record. */
  public boolean lastOfRecord() {
    return lastOfRecord;
  }
}
