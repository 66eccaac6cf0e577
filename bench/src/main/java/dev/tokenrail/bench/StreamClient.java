package dev.tokenrail.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;

/**
 * One load-generator SSE client: follows one conversation, checks that its answer arrives whole and in
 * order, and records (receive time − event {@code ts}) of every token into the shared histogram.
 */
final class StreamClient {

  private final String conversationId;
  private final LatencyHistogram latencies;
  private final Promise<Void> finished = Promise.promise();
  private final StringBuilder text = new StringBuilder();
  private long expectedSeq;
  private long tokens;
  private String failure;
  private long postedAt;
  private long firstTokenAt;
  private long lastTokenAt;
  private long doneAt;
  private long startTs;
  private long acceptedAt;
  private long startReceivedAt;
  private long firstTokenTs;

  StreamClient(String conversationId, LatencyHistogram latencies) {
    this.conversationId = conversationId;
    this.latencies = latencies;
  }

  /** Connects; the future completes once the gateway has registered the subscription. */
  Future<Void> connect(HttpClient http, int port) {
    return connect(http, port, "");
  }

  /** Connects with a query such as {@code ?from=start}. */
  Future<Void> connect(HttpClient http, int port, String query) {
    return http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("localhost").setPort(port)
            .setURI("/api/conversations/" + conversationId + "/events" + query))
        .compose(req -> req.send())
        .map(response -> {
          RecordParser frames = RecordParser.newDelimited("\n\n", this::onFrame);
          response.handler(frames);
          return null;
        });
  }

  /** When the message this client waits for was posted (epoch millis), for the time to first token. */
  void posted(long epochMillis) {
    postedAt = epochMillis;
  }

  /** POST → first token at this client, in ms; -1 before both happened. */
  long timeToFirstTokenMillis() {
    return postedAt == 0 || firstTokenAt == 0 ? -1 : firstTokenAt - postedAt;
  }

  /** The last token → done, as this client received them, in ms: how long an answer's end takes to be written. */
  long lastTokenToDoneMillis() {
    return doneAt - lastTokenAt;
  }

  /** POST → the worker's start event (its ts), in ms. */
  long postToStartMillis() {
    return startTs - postedAt;
  }

  /** The gateway answered 202 (epoch millis): the request is stored in Kafka. */
  void accepted(long epochMillis) {
    acceptedAt = epochMillis;
  }

  /**
   * Where a message's time to first token went, in ms, each measured with the clock of this host (the stack's
   * processes share it). The first three add up to POST → first token: POST → the worker's start (its {@code ts}:
   * the gateway stored the request and the worker took it), start → the model's first token (its {@code ts}, the
   * model's own time included), the first token's {@code ts} → this client. Then two that are not on that path: POST
   * → the 202 this client got (the worker often starts before it arrives), and the start event's {@code ts} → this
   * client. Null if the answer has not reached its first token.
   */
  long[] firstTokenStages() {
    if (postedAt == 0 || acceptedAt == 0 || startReceivedAt == 0 || firstTokenAt == 0) {
      return null;
    }
    return new long[] {startTs - postedAt, firstTokenTs - startTs, firstTokenAt - firstTokenTs, acceptedAt - postedAt,
        startReceivedAt - startTs};
  }

  Future<Void> finished() {
    return finished.future();
  }

  long tokens() {
    return tokens;
  }

  /** Every event received, of every type. */
  long events() {
    return expectedSeq;
  }

  /** Null when the answer arrived whole: every seq once, in order, done.text equal to the tokens. */
  String failure() {
    return failure;
  }

  private void onFrame(Buffer frame) {
    long receivedAt = System.currentTimeMillis();
    String type = null;
    String data = null;
    for (String line : frame.toString().split("\n")) {
      if (line.startsWith("event: ")) {
        type = line.substring(7);
      } else if (line.startsWith("data: ")) {
        data = line.substring(6);
      }
    }
    if (type == null || data == null) {
      return; // comments: opening, keep-alive
    }
    JsonObject event = new JsonObject(data);
    long seq = event.getLong("seq");
    if (seq != expectedSeq && failure == null) {
      failure = conversationId + ": expected seq " + expectedSeq + " but got " + seq;
    }
    expectedSeq = seq + 1;
    switch (type) {
      case "start" -> {
        startTs = event.getLong("ts");
        startReceivedAt = receivedAt;
      }
      case "token" -> {
        if (tokens == 0) {
          firstTokenAt = receivedAt;
          firstTokenTs = event.getLong("ts");
        }
        tokens++;
        lastTokenAt = receivedAt;
        text.append(event.getString("text"));
        latencies.record(receivedAt - event.getLong("ts"));
      }
      case "done" -> {
        if (!text.toString().equals(event.getString("text")) && failure == null) {
          failure = conversationId + ": done.text differs from the tokens received";
        }
        doneAt = receivedAt;
        finished.tryComplete();
      }
      case "error", "cancelled" -> {
        failure = conversationId + ": ended with " + type + " " + data;
        finished.tryComplete();
      }
      default -> { }
    }
  }
}
