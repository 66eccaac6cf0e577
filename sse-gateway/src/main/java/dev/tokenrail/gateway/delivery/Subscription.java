package dev.tokenrail.gateway.delivery;

import dev.tokenrail.protocol.EventType;
import dev.tokenrail.protocol.StreamEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.function.Consumer;

/**
 * One client's SSE stream of one conversation, and where it is in the log.
 *
 * <p>{@code nextOffset} is the first offset of the conversation's partition this client still needs, and
 * {@code partsHeld} how many of that record's events it already has (a record holding a run of tokens is several
 * events, {@link EventFrame}); every write moves the position past the event written, and nothing before it is ever
 * written again — so switching between catch-up and live delivery can neither repeat nor skip an event. A
 * subscription is
 * in one of three modes:
 * <ul>
 *   <li>{@code LIVE}: the gateway's {@link EventsReader} writes its events as they arrive;</li>
 *   <li>{@code CATCHING_UP}: the {@link CatchUpLanes} read the log from {@code nextOffset} up to where
 *       live delivery is, then hands it over;</li>
 *   <li>{@code BEHIND}: its socket stopped draining, so nothing more is queued for it. When it drains,
 *       it catches up from {@code nextOffset}: the log is the buffer. A stalled client costs its
 *       socket's write queue and this object, never a backlog of events.</li>
 * </ul>
 * Confined to the gateway's context.
 */
public final class Subscription {

  public enum Mode { CATCHING_UP, LIVE, BEHIND }

  private final HttpServerResponse response;
  private final StreamFormat format;
  private final String conversationId;
  private final String kafkaKey;
  private final int partition;
  private long nextOffset;
  private int partsHeld;
  private Mode mode = Mode.CATCHING_UP;
  private long catchUpRound;
  private boolean closed;
  private Consumer<Subscription> onDrainedWhileBehind = s -> { };
  private DeliveryMetrics metrics;
  private int writeQueueBytes;
  /** The last event written (see {@link #repeatsLast}). */
  private String lastMessageId;
  private int lastAttempt;
  private long lastSeq = -1;
  /** Frames delivered since the last flush: one batch of records becomes one write to the socket. */
  private Buffer pending;

  /** @param partsHeld events of the record at {@code nextOffset} the client already has (a resume inside a run) */
  public Subscription(HttpServerResponse response, StreamFormat format, String conversationId, String kafkaKey, int partition,
               long nextOffset, int partsHeld) {
    this.response = response;
    this.format = format;
    this.conversationId = conversationId;
    this.kafkaKey = kafkaKey;
    this.partition = partition;
    this.nextOffset = nextOffset;
    this.partsHeld = partsHeld;
  }

  /**
   * Sends the headers and the opening. At most {@code writeQueueBytes} wait in the gateway for this
   * client; {@code whenDrainedBehind} restarts delivery after a stall.
   */
  public void open(int writeQueueBytes, Consumer<Subscription> whenDrainedBehind, DeliveryMetrics gatewayMetrics) {
    this.onDrainedWhileBehind = whenDrainedBehind;
    this.metrics = gatewayMetrics;
    this.writeQueueBytes = writeQueueBytes;
    response.setWriteQueueMaxSize(writeQueueBytes);
    response.drainHandler(v -> drained());
    format.open(response);
  }

  /**
   * Adds an event to this client's pending write unless the client already has it. The caller
   * {@link #flush}es after its batch of records; a pending write as large as the write queue is written
   * at once. Returns true when this started a pending write, so the caller knows to flush it.
   */
  public boolean deliver(EventFrame event) {
    if (closed || event.offset() < nextOffset || event.offset() == nextOffset && event.part() < partsHeld) {
      return false;
    }
    if (event.lastOfRecord()) {
      nextOffset = event.offset() + 1;
      partsHeld = 0;
    } else {
      nextOffset = event.offset();
      partsHeld = event.part() + 1;
    }
    if (repeatsLast(event.event())) {
      return false;
    }
    Buffer frame = format.frame(event);
    if (frame == null) {
      return false;
    }
    boolean started = pending == null;
    if (started) {
      pending = Buffer.buffer(512);
    }
    pending.appendBuffer(frame);
    if (event.event().type() == EventType.TOKEN) {
      metrics.tokenRelayed(event.event().ts());
    }
    // A finished format's last bytes wait for the caller's flush: ending the response removes this
    // subscription from the reader, which must not happen while the reader is iterating its subscriptions.
    if (pending.length() >= writeQueueBytes && !format.finished()) {
      flush();
    }
    return started;
  }

  /**
   * Writes the pending events as one write — a token per write would cost a syscall and a client wakeup
   * each; a batch of records costs one per client. Stops queueing when the socket is full.
   */
  public void flush() {
    Buffer out = pending;
    pending = null;
    if (out == null || closed) {
      return;
    }
    response.write(out);
    if (format.finished()) { // the format's last bytes: the response is complete
      closed = true;
      response.end();
      return;
    }
    if (mode != Mode.BEHIND && response.writeQueueFull()) {
      mode = Mode.BEHIND;
      metrics.slowClientFallback();
    }
  }

  /**
   * Events the client must not get again. A worker tries an answer's last writes again after a timeout,
   * and one that timed out may have been stored all the same: an event of the same attempt whose seq is
   * not past the last one written is that repeat. And a worker that comes back from a pause (a long GC,
   * a paused container) after another took its partition over may write a little more of the attempt the
   * other one replaced: an event of an attempt lower than the last one written is that superseded attempt.
   */
  private boolean repeatsLast(StreamEvent event) {
    if (event.messageId().equals(lastMessageId)
        && (event.attempt() < lastAttempt || event.attempt() == lastAttempt && event.seq() <= lastSeq)) {
      return true;
    }
    lastMessageId = event.messageId();
    lastAttempt = event.attempt();
    lastSeq = event.seq();
    return false;
  }

  /** Everything below {@code offset} has been looked at for this client: skip ahead to it. */
  void coveredUpTo(long offset) {
    if (offset > nextOffset) {
      nextOffset = offset;
      partsHeld = 0;
    }
  }

  void reset(String reason) {
    flush();
    Buffer notice = closed ? null : format.reset(conversationId, reason);
    if (notice != null) {
      response.write(notice);
    }
    if (!closed && format.finished()) { // a format that cannot go on after a gap ends the stream
      closed = true;
      response.end();
    }
  }

  public void goLive() {
    if (mode == Mode.CATCHING_UP) {
      mode = Mode.LIVE;
    }
  }

  /** Keep-alive, only when nothing is waiting: a queued event keeps the stream alive anyway. */
  void ping() {
    Buffer ping = closed || pending != null || response.writeQueueFull() ? null : format.ping();
    if (ping != null) {
      response.write(ping);
    }
  }

  void closed() {
    closed = true;
  }

  /** Ends the stream; the client reconnects with its Last-Event-ID and resumes where it was. */
  void fail() {
    if (!closed) {
      closed = true;
      response.reset();
    }
  }

  boolean isClosed() {
    return closed;
  }

  public Mode mode() {
    return mode;
  }

  long nextOffset() {
    return nextOffset;
  }

  /** Starts a new round of catch-up ({@code CatchUpLanes}): a lane serving an earlier round serves it no more. */
  long newCatchUpRound() {
    return ++catchUpRound;
  }

  long catchUpRound() {
    return catchUpRound;
  }

  int partition() {
    return partition;
  }

  String kafkaKey() {
    return kafkaKey;
  }

  String conversationId() {
    return conversationId;
  }

  private void drained() {
    if (!closed && mode == Mode.BEHIND) {
      mode = Mode.CATCHING_UP;
      onDrainedWhileBehind.accept(this);
    }
  }
}
