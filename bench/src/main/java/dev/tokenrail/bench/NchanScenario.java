package dev.tokenrail.bench;

import dev.tokenrail.protocol.Topics;
import dev.tokenrail.runtime.KafkaSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Tokenrail beside nginx + Nchan ({@link NchanServer}), a pub/sub SSE server written in C, with the same clients
 * (this JVM only: both servers run in processes of their own — Tokenrail as the launcher jar's broker+worker
 * and gateway JVMs):
 * <ul>
 *   <li><b>unicast</b> — {@code streams} streams, one channel (conversation) each, token-sized messages published as
 *       fast as they go: for Nchan one HTTP publish per message (its way), for Tokenrail token events written
 *       straight to Kafka (the relay);
 *   <li><b>fan-out</b> — one channel followed by {@code subscribers} clients: deliveries a second;
 *   <li><b>idle streams</b> — the resident memory (PSS, so nginx's workers' shared pages count once) each of
 *       {@code idle} open, idle streams adds to the serving processes.
 * </ul>
 *
 * <pre>java -jar bench/target/bench.jar nchan [--streams 1000] [--tokens 300] [--subscribers 1000]
 *                                      [--fanout-tokens 300] [--idle 10000] [--out bench/results]</pre>
 */
final class NchanScenario {

  /** One server's figures. */
  record Figures(double unicastTokensPerSecond, double fanoutDeliveriesPerSecond, long pssBytesPerStream) {
  }

  private NchanScenario() {
  }

  static void run(Options options) throws Exception {
    int streams = options.integer("streams", 1000);
    long tokens = options.longValue("tokens", 300);
    int subscribers = options.integer("subscribers", 1000);
    long fanoutTokens = options.longValue("fanout-tokens", 300);
    int idle = options.integer("idle", 10000);
    Path jar = options.jar();
    JsonObject results = compare(jar, streams, tokens, subscribers, fanoutTokens, idle);
    Path out = options.out();
    Files.createDirectories(out);
    Files.writeString(out.resolve("nchan.json"), results.encodePrettily() + "\n");
    System.out.println(results.encodePrettily());
    System.exit(0); // the clients' non-daemon threads
  }

  /** Both servers measured, one after the other; the figures and the goals of issue 20 as JSON. */
  static JsonObject compare(Path jar, int streams, long tokens, int subscribers, long fanoutTokens, int idle)
      throws Exception {
    Progress.phase(String.format("Tokenrail (processes apart): unicast %d x %d, fan-out 1 x %d subscribers x %d, %,d idle",
        streams, tokens, subscribers, fanoutTokens, idle));
    Figures tokenrail = tokenrail(jar, streams, tokens, subscribers, fanoutTokens, idle);
    Progress.phase("nginx + Nchan: the same");
    Figures nchan = nchan(streams, tokens, subscribers, fanoutTokens, idle);
    JsonObject r = new JsonObject()
        .put("unicast", new JsonObject().put("streams", streams).put("tokensPerStream", tokens)
            .put("tokenrailTokensPerSecond", Math.round(tokenrail.unicastTokensPerSecond()))
            .put("nchanTokensPerSecond", Math.round(nchan.unicastTokensPerSecond()))
            .put("ratio", round(tokenrail.unicastTokensPerSecond() / nchan.unicastTokensPerSecond())))
        .put("fanout", new JsonObject().put("subscribers", subscribers).put("tokens", fanoutTokens)
            .put("tokenrailDeliveriesPerSecond", Math.round(tokenrail.fanoutDeliveriesPerSecond()))
            .put("nchanDeliveriesPerSecond", Math.round(nchan.fanoutDeliveriesPerSecond()))
            .put("ratio", round(tokenrail.fanoutDeliveriesPerSecond() / nchan.fanoutDeliveriesPerSecond())))
        .put("idle", new JsonObject().put("streams", idle)
            .put("rssBytesPerConnection", tokenrail.pssBytesPerStream())
            .put("nchanRssBytesPerConnection", nchan.pssBytesPerStream())
            .put("ratio", round(tokenrail.pssBytesPerStream() / (double) nchan.pssBytesPerStream())));
    Progress.done("unicast %,.0f vs %,.0f tokens/s (%.2f x); fan-out %,.0f vs %,.0f deliveries/s (%.2f x); idle %,d vs %,d bytes a stream",
        tokenrail.unicastTokensPerSecond(), nchan.unicastTokensPerSecond(),
        tokenrail.unicastTokensPerSecond() / nchan.unicastTokensPerSecond(),
        tokenrail.fanoutDeliveriesPerSecond(), nchan.fanoutDeliveriesPerSecond(),
        tokenrail.fanoutDeliveriesPerSecond() / nchan.fanoutDeliveriesPerSecond(),
        tokenrail.pssBytesPerStream(), nchan.pssBytesPerStream());
    return r;
  }

  private static Figures tokenrail(Path jar, int streams, long tokens, int subscribers, long fanoutTokens, int idle)
      throws Exception {
    // The gateway's heap fixed and touched up front, so its resident memory moves only with what it holds outside
    // the heap; the heap's share is read as the live heap after a collection (see idleStreams).
    try (SoakProcesses processes = SoakProcesses.start(jar, false, Map.of(),
        List.of("-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError"))) {
      KafkaSettings kafka = new KafkaSettings(processes.bootstrapServers(), new Topics("tokenrail."),
          KafkaSettings.DEFAULT_PARTITIONS, KafkaSettings.DEFAULT_LINGER_MS);
      int port = processes.gatewayPort();
      Vertx load = Vertx.vertx();
      ThroughputScenario.Result unicast;
      ThroughputScenario.Result fanout;
      try {
        ThroughputScenario.viaKafka(port, kafka, load, "uni-warmup", streams, Math.max(20, tokens / 10));
        unicast = ThroughputScenario.viaKafka(port, kafka, load, "uni", streams, tokens);
        fanout = ThroughputScenario.fanout(port, kafka, load, "room", subscribers, fanoutTokens);
      } finally {
        BenchStack.await(load.close());
      }
      SoakProcesses.Child gateway = processes.child(SoakProcesses.GATEWAY);
      long perStream = idleStreams(port, "/api/conversations/idle-%d/events", idle, List.of(gateway.pid()), true);
      return new Figures(unicast.tokensPerSecond(), fanout.tokensPerSecond(), perStream);
    }
  }

  private static Figures nchan(int streams, long tokens, int subscribers, long fanoutTokens, int idle) throws Exception {
    try (NchanServer nchan = NchanServer.start()) {
      Vertx load = Vertx.vertx();
      Vertx publisher = Vertx.vertx(); // its own event loops, as Tokenrail's relay has its own producer thread
      ThroughputScenario.Result unicast;
      ThroughputScenario.Result fanout;
      try {
        publishAndCount(load, publisher, nchan.port(), "uni-warmup", streams, Math.max(20, tokens / 10), 1);
        unicast = publishAndCount(load, publisher, nchan.port(), "uni", streams, tokens, 1);
        fanout = publishAndCount(load, publisher, nchan.port(), "room", 1, fanoutTokens, subscribers);
      } finally {
        BenchStack.await(publisher.close());
        BenchStack.await(load.close());
      }
      long perStream = idleStreams(nchan.port(), "/sub/idle-%d", idle, nchan.pids(), false);
      return new Figures(unicast.tokensPerSecond(), fanout.tokensPerSecond(), perStream);
    }
  }

  /**
   * {@code channels} channels, each followed by {@code subscribersEach} clients; {@code perChannel} messages to
   * each, round-robin, published over keep-alive connections with up to {@value #IN_FLIGHT} publishes at once.
   */
  private static ThroughputScenario.Result publishAndCount(Vertx load, Vertx publisher, int port, String run, int channels,
      long perChannel, int subscribersEach) throws Exception {
    AtomicLong firstAt = new AtomicLong();
    AtomicLong lastAt = new AtomicLong();
    List<String> uris = new ArrayList<>();
    for (int c = 0; c < channels; c++) {
      for (int s = 0; s < subscribersEach; s++) {
        uris.add("/sub/" + run + "-" + c);
      }
    }
    HttpClient http = ThroughputScenario.clients(load, uris.size());
    List<CountingClient> clients = ThroughputScenario.connect(http, port, uris, NchanServer.EVENT, perChannel, firstAt,
        lastAt);
    HttpClient posts = publisher.createHttpClient(new PoolOptions().setHttp1MaxSize(IN_FLIGHT));
    long total = channels * perChannel;
    AtomicLong next = new AtomicLong();
    Promise<Void> published = Promise.promise();
    AtomicLong failed = new AtomicLong();
    publisher.runOnContext(v -> IntStream.range(0, IN_FLIGHT).forEach(i -> publishNext(posts, port, run, channels, total,
        next, published, failed)));
    ThroughputScenario.Result result = ThroughputScenario.awaitAll(clients, (long) uris.size() * perChannel, firstAt,
        lastAt, "nchan " + run);
    BenchStack.await(published.future());
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " Nchan publishes failed");
    }
    BenchStack.await(http.shutdown(0, TimeUnit.SECONDS));
    BenchStack.await(posts.shutdown(0, TimeUnit.SECONDS));
    return result;
  }

  private static final int IN_FLIGHT = 128;
  private static final io.vertx.core.buffer.Buffer TOKEN = io.vertx.core.buffer.Buffer.buffer(" token");

  private static void publishNext(HttpClient posts, int port, String run, int channels, long total, AtomicLong next,
                                  Promise<Void> published, AtomicLong failed) {
    long n = next.getAndIncrement();
    if (n >= total) {
      if (n == total + IN_FLIGHT - 1) {
        published.tryComplete();
      }
      return;
    }
    posts.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
            .setURI("/pub/" + run + "-" + (n % channels)))
        .compose(req -> req.send(TOKEN))
        .compose(res -> res.body().map(b -> res.statusCode()))
        .onComplete(ar -> {
          if (ar.failed() || ar.result() >= 300) {
            failed.incrementAndGet();
          }
          publishNext(posts, port, run, channels, total, next, published, failed);
        });
  }

  /**
   * Opens {@code count} idle streams (raw sockets, each reading its stream's first bytes, so the server holds it)
   * and returns the memory each costs the serving processes: what it added to their proportional resident
   * memory — for a JVM (whose heap is fixed and touched up front, so resident memory does not move with it)
   * plus what it added to the live heap after a full collection.
   */
  private static long idleStreams(int port, String pathFormat, int count, List<Long> pids, boolean jvm) throws Exception {
    long heapBefore = jvm ? ServingMemory.liveHeap(pids.get(0)) : 0;
    long before = ServingMemory.pss(pids);
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4 * 1024);
        socket.bind(new InetSocketAddress("127.0.0." + (1 + i % 4), 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port));
        socket.getOutputStream().write(("GET " + String.format(pathFormat, i) + " HTTP/1.1\r\nHost: localhost\r\n"
            + "Accept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        sockets.add(socket);
        if ((i + 1) % 5_000 == 0) {
          Progress.line("idle streams %,d / %,d", i + 1, count);
        }
      }
      for (Socket socket : sockets) { // held: the stream's head came
        socket.setSoTimeout(30_000);
        InputStream in = socket.getInputStream();
        if (in.read() < 0) {
          throw new IllegalStateException("a stream closed at once");
        }
      }
      long heapAfter = jvm ? ServingMemory.liveHeap(pids.get(0)) : 0;
      long after = ServingMemory.pss(pids);
      long perStream = (after - before + heapAfter - heapBefore) / count;
      Progress.done("idle streams: %,d held, %,d bytes each (resident %,d -> %,d MB, live heap %,d -> %,d MB)", count,
          perStream, before >> 20, after >> 20, heapBefore >> 20, heapAfter >> 20);
      return perStream;
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  private static double round(double ratio) {
    return Math.round(ratio * 100) / 100.0;
  }
}
