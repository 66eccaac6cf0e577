package dev.tokenrail.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load-generator SSE client for throughput: it only counts {@code event: token} frames (or, for another
 * server, whatever marks one of its events), scanning the bytes as they come (across chunk boundaries), so the
 * client side costs as little CPU as possible.
 */
final class CountingClient {

  private static final byte[] TOKEN_EVENT = "event: token\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private final String uri;
  private final byte[] pattern;
  private final long expected;
  private final AtomicLong firstAt;
  private final AtomicLong lastAt;
  private final Promise<Void> finished = Promise.promise();
  private int matched;
  private long tokens;

  /** {@code firstAt}/{@code lastAt} are shared by every client of a run: when the first and last token arrived. */
  CountingClient(String conversationId, long expected, AtomicLong firstAt, AtomicLong lastAt) {
    this("/api/conversations/" + conversationId + "/events", TOKEN_EVENT, expected, firstAt, lastAt);
  }

  /** A stream of {@code uri} whose events each hold {@code pattern} once (Nchan's: {@code "\ndata: "}). */
  CountingClient(String uri, byte[] pattern, long expected, AtomicLong firstAt, AtomicLong lastAt) {
    this.uri = uri;
    this.pattern = pattern;
    this.expected = expected;
    this.firstAt = firstAt;
    this.lastAt = lastAt;
  }

  Future<Void> connect(HttpClient http, int port) {
    return http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("localhost").setPort(port)
            .setURI(uri).putHeader("Accept", "text/event-stream"))
        .compose(req -> req.send())
        .map(response -> {
          response.handler(this::scan);
          return null;
        });
  }

  Future<Void> finished() {
    return finished.future();
  }

  long tokens() {
    return tokens;
  }

  private void scan(Buffer chunk) {
    long before = tokens;
    for (int i = 0, n = chunk.length(); i < n; i++) {
      byte b = chunk.getByte(i);
      if (b == pattern[matched]) {
        if (++matched == pattern.length) {
          tokens++;
          matched = 0;
        }
      } else {
        matched = b == pattern[0] ? 1 : 0;
      }
    }
    if (tokens > before) {
      long now = System.nanoTime();
      firstAt.compareAndSet(0, now);
      lastAt.accumulateAndGet(now, Math::max);
      if (tokens >= expected) {
        finished.tryComplete();
      }
    }
  }
}
