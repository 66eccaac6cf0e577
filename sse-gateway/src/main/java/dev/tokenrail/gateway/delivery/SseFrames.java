package dev.tokenrail.gateway.delivery;

import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.StreamEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/** Server-Sent-Events framing. Event data is one line of JSON (JSON escapes every newline). */
public final class SseFrames {

  private static final Buffer PING = Buffer.buffer(": ping\n\n");

  private SseFrames() {
  }

  /**
   * Makes {@code response} an event stream: chunked, never cached, and not buffered by a proxy in front
   * (nginx honours {@code X-Accel-Buffering}).
   */
  public static HttpServerResponse startEventStream(HttpServerResponse response) {
    return response.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
  }

  static Buffer event(String id, String type, Buffer jsonData) {
    return Buffer.buffer(jsonData.length() + id.length() + type.length() + 24)
        .appendString("id: ").appendString(id)
        .appendString("\nevent: ").appendString(type)
        .appendString("\ndata: ").appendBuffer(jsonData)
        .appendString("\n\n");
  }

  /**
   * A {@code reset}: written by the gateway, never stored, so it has no {@code id:} — a client that
   * reconnects after it still sends the id of the last stored event it received.
   */
  static Buffer reset(String conversationId, String reason) {
    StreamEvent.Reset reset = new StreamEvent.Reset(conversationId, "", 0, 0, System.currentTimeMillis(), reason);
    return Buffer.buffer("event: reset\ndata: ").appendBuffer(ProtocolCodec.encode(reset)).appendString("\n\n");
  }

  /** The stream's opening: a reconnection delay hint for {@code EventSource}, and a first byte to flush headers. */
  static Buffer opening(long retryMillis) {
    return Buffer.buffer("retry: " + retryMillis + "\n: connected\n\n");
  }

  public static Buffer ping() {
    return PING;
  }
}
