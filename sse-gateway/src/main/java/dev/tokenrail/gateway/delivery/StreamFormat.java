package dev.tokenrail.gateway.delivery;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/**
 * What a {@link Subscription} writes for the events it is delivered: Tokenrail's own SSE protocol
 * ({@link #NATIVE}), or OpenAI's chat-completion chunks or body ({@link CompletionFormat}). Delivery —
 * live, catch-up, slow-client fallback, no gaps and no repeats — is the same for every format.
 */
public interface StreamFormat {

  /** Sets the response's headers and writes (or queues) its first bytes. */
  void open(HttpServerResponse response);

  /** The bytes for one event, or null when this format writes nothing for it. */
  Buffer frame(EventFrame event);

  /** True once the format has written its last bytes: the subscription then ends the response. */
  default boolean finished() {
    return false;
  }

  /** A keep-alive for an idle stream, or null when the format has none. */
  default Buffer ping() {
    return null;
  }

  /**
   * Tells the client that events it asked for are gone (retention) and delivery continues after them;
   * null when the format has no way to say it.
   */
  Buffer reset(String conversationId, String reason);

  /** Tokenrail's protocol: every event as stored, framed as SSE with its id. */
  StreamFormat NATIVE = new StreamFormat() {
    private static final long RETRY_MILLIS = 2_000;

    @Override
    public void open(HttpServerResponse response) {
      SseFrames.startEventStream(response);
      response.write(SseFrames.opening(RETRY_MILLIS));
    }

    @Override
    public Buffer frame(EventFrame event) {
      return event.frame();
    }

    @Override
    public Buffer ping() {
      return SseFrames.ping();
    }

    @Override
    public Buffer reset(String conversationId, String reason) {
      return SseFrames.reset(conversationId, reason);
    }
  };
}
