package dev.tokenrail.gateway;

import io.vertx.core.buffer.Buffer;

/** Server-Sent-Events framing. Event data is one line of JSON (JSON escapes every newline). */
final class SseFrames {

  private static final Buffer PING = Buffer.buffer(": ping\n\n");

  private SseFrames() {
  }

  static Buffer event(String id, String type, Buffer jsonData) {
    return Buffer.buffer(jsonData.length() + id.length() + type.length() + 24)
        .appendString("id: ").appendString(id)
        .appendString("\nevent: ").appendString(type)
        .appendString("\ndata: ").appendBuffer(jsonData)
        .appendString("\n\n");
  }

  /** The stream's opening: a reconnection delay hint for {@code EventSource}, and a first byte to flush headers. */
  static Buffer opening(long retryMillis) {
    return Buffer.buffer("retry: " + retryMillis + "\n: connected\n\n");
  }

  static Buffer ping() {
    return PING;
  }
}
