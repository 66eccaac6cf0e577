package dev.tokenrail.bench;

import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.gateway.delivery.DeliveryMetrics;
import dev.tokenrail.gateway.delivery.DeliverySettings;
import dev.tokenrail.gateway.delivery.EventFrame;
import dev.tokenrail.gateway.delivery.StreamFormat;
import dev.tokenrail.gateway.delivery.Subscription;
import dev.tokenrail.runtime.MeterScope;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.StreamEvent;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark's in-process baseline: the gateway's own SSE writer ({@link Subscription}, with the same
 * decode-and-frame step as live delivery, {@link EventFrame}) fed by a generator on the server's event loop
 * instead of by Kafka — the gateway's public delivery types, used as they are. What the Kafka path relays
 * beside it shows what Kafka and the events reader cost.
 *
 * <p>The generator writes batches of {@value #BATCH} token events round-robin over the conversations
 * that have a subscriber, like one poll of the events reader, and flushes each stream once per batch as
 * the reader does; it pauses while any stream is behind (its socket full) and resumes when it drains,
 * so nothing is dropped.
 */
public final class InProcessRelay extends AbstractVerticle {

  private static final int BATCH = 5_000; // the events reader's max.poll.records

  private final int conversations;
  private final long tokensPerConversation;
  private final Map<String, Subscription> subscriptions = new HashMap<>();
  private final List<String> ids = new ArrayList<>();
  private final long[] sent;
  private final MeterScope meters = new MeterScope();
  private DeliveryMetrics metrics;
  private HttpServer server;
  private long offset;
  private int next;
  private int behind;
  private boolean generating;

  /** Serves {@code conversations} streams, each {@code tokensPerConversation} tokens once all have connected. */
  public InProcessRelay(int conversations, long tokensPerConversation) {
    this.conversations = conversations;
    this.tokensPerConversation = tokensPerConversation;
    this.sent = new long[conversations];
  }

  public int port() {
    return server.actualPort();
  }

  @Override
  public void start(Promise<Void> started) {
    metrics = new DeliveryMetrics("in-process-relay", meters);
    HttpServerOptions options = GatewayVerticle.withoutWebSockets(new HttpServerOptions()); // as the gateway's
    vertx.createHttpServer(options).requestHandler(request -> {
      String path = request.path(); // /api/conversations/{id}/events
      String id = path.substring("/api/conversations/".length(), path.length() - "/events".length());
      Subscription s = new Subscription(request.response(), StreamFormat.NATIVE, id, id, 0, 0, 0);
      s.open(DeliverySettings.DEFAULT_SSE_WRITE_QUEUE_BYTES, this::drained, metrics);
      s.goLive();
      subscriptions.put(id, s);
      ids.add(id);
      if (ids.size() == conversations) {
        generating = true;
        generate();
      }
    }).listen(0).onSuccess(s -> {
      server = s;
      started.complete();
    }).onFailure(started::fail);
  }

  @Override
  public void stop() {
    meters.close();
  }

  private void drained(Subscription s) {
    behind--;
    s.goLive(); // back from BEHIND: nothing was skipped, the generator waited for it
    if (behind == 0 && !generating) {
      generating = true;
      context.runOnContext(v -> generate());
    }
  }

  private void generate() {
    int written = 0;
    List<Subscription> touched = new ArrayList<>();
    while (written < BATCH) {
      int i = next;
      next = (next + 1) % conversations;
      if (sent[i] >= tokensPerConversation) {
        if (allSent()) {
          generating = false;
          touched.forEach(Subscription::flush);
          return;
        }
        continue;
      }
      String id = ids.get(i);
      long seq = ++sent[i];
      Buffer record = ProtocolCodec.encode(new StreamEvent.Token(id, "m", 1, seq, System.currentTimeMillis(), " token"));
      Subscription s = subscriptions.get(id);
      if (s.deliver(EventFrame.of(0, offset++, record).get(0))) { // decoded and framed as the events reader does
        touched.add(s);
      }
      written++;
    }
    for (Subscription s : touched) { // one write per stream per batch, as the events reader does
      boolean wasBehind = s.mode() == Subscription.Mode.BEHIND;
      s.flush();
      if (!wasBehind && s.mode() == Subscription.Mode.BEHIND) {
        behind++;
      }
    }
    if (behind > 0) {
      generating = false; // resumed by the last stream to drain
      return;
    }
    context.runOnContext(v -> generate());
  }

  private boolean allSent() {
    for (long n : sent) {
      if (n < tokensPerConversation) {
        return false;
      }
    }
    return true;
  }
}
