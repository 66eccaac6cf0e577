package dev.tokenrail.gateway;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's SSE stream. Writes go straight to the socket while it drains; while its write queue is
 * full, up to {@code backlogLimit} frames wait here, and a client that falls further behind is cut off
 * rather than buffered without bound. Confined to the gateway's context.
 */
final class SseConnection {

  private static final Logger log = LoggerFactory.getLogger(SseConnection.class);
  private static final long RETRY_MILLIS = 2_000;

  private final HttpServerResponse response;
  private final String conversationId;
  private final int backlogLimit;
  private final ArrayDeque<Buffer> backlog = new ArrayDeque<>();
  private boolean closed;

  SseConnection(HttpServerResponse response, String conversationId, int backlogLimit) {
    this.response = response;
    this.conversationId = conversationId;
    this.backlogLimit = backlogLimit;
  }

  void open() {
    response.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no")
        .drainHandler(v -> flushBacklog());
    response.write(SseFrames.opening(RETRY_MILLIS));
  }

  void send(Buffer frame) {
    if (closed) {
      return;
    }
    if (backlog.isEmpty() && !response.writeQueueFull()) {
      response.write(frame);
      return;
    }
    if (backlog.size() >= backlogLimit) {
      log.warn("SSE client of conversation {} is {} events behind: closing its stream", conversationId, backlog.size());
      closed = true;
      backlog.clear();
      response.reset();
      return;
    }
    backlog.addLast(frame);
  }

  /** Keep-alive: only when nothing is waiting, since a queued event keeps the stream alive anyway. */
  void ping() {
    if (!closed && backlog.isEmpty() && !response.writeQueueFull()) {
      response.write(SseFrames.ping());
    }
  }

  /** The client went away; drop what was waiting for it. */
  void closed() {
    closed = true;
    backlog.clear();
  }

  private void flushBacklog() {
    while (!closed && !backlog.isEmpty() && !response.writeQueueFull()) {
      response.write(backlog.pollFirst());
    }
  }
}
