package dev.tokenrail.bench;

import dev.tokenrail.gateway.delivery.DeliverySettings;
import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.protocol.EventId;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.runtime.KafkaSettings;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * What made-up positions cost everyone else: a legitimate resume ({@code Last-Event-ID} of the client's own
 * event) timed from request to response headers, alone and while {@code --forged} forged lookups are in
 * flight on the same gateway — message ids dated 1970 and {@code Last-Event-ID: 1.<p>.0} of the same
 * partition, sent all at once before it, each round — and, as the baseline of what any 50 requests at
 * once cost a resume here (connections, the event loop, two cores shared with the broker and the
 * client), while as many {@code GET /health} are in flight. What the forged lookups cost is the
 * difference.
 */
final class ForgedLookupsScenario {

  private ForgedLookupsScenario() {
  }

  static void run(Options options) throws Exception {
    int forged = options.integer("forged", 50);
    int rounds = options.integer("rounds", 40);
    int recentEvents = options.integer("recent-events", DeliverySettings.DEFAULT_RECENT_EVENTS_PER_PARTITION);
    System.out.printf("Gateway remembers the owners of the last %,d events of each partition%s%n", recentEvents,
        recentEvents == 0 ? ": every Last-Event-ID is checked in the log" : "");
    try (BenchStack stack = BenchStack.start(KafkaSettings.DEFAULT_LINGER_MS, 1_000, 0,
        DeliverySettings.DEFAULT.withRecentEventsPerPartition(recentEvents))) {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      String base = "http://localhost:" + stack.port();
      String conversation = "legit";
      // Some history in every partition, so a scan from offset 0 would have something to read.
      for (int i = 0; i < 200; i++) {
        post(http, base, "filler-" + i, "#tokens=50 filler");
      }
      post(http, base, conversation, "#tokens=20 mine");
      String ownEvent = firstEventId(http, base, conversation);
      int partition = Partitioning.partitionOf(conversation, KafkaSettings.DEFAULT_PARTITIONS);

      LatencyHistogram alone = new LatencyHistogram();
      LatencyHistogram underAttack = new LatencyHistogram();
      LatencyHistogram besidePlainRequests = new LatencyHistogram();
      Map<Integer, Integer> forgedStatuses = new TreeMap<>();
      for (int round = 0; round < rounds; round++) {
        alone.record(resume(http, base, conversation, ownEvent));
      }
      // Interleaved, so that neither kind of round gets the client's connection pool or the JIT warmer.
      for (int round = -1; round < rounds; round++) {
        List<CompletableFuture<HttpResponse<Void>>> plain = new ArrayList<>();
        for (int i = 0; i < forged; i++) {
          plain.add(http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
              HttpResponse.BodyHandlers.discarding()));
        }
        long besidePlain = resume(http, base, conversation, ownEvent);
        for (CompletableFuture<HttpResponse<Void>> f : plain) {
          f.get();
        }
        List<CompletableFuture<HttpResponse<Void>>> attack = new ArrayList<>();
        for (int i = 0; i < forged; i++) {
          HttpRequest request = i % 2 == 0
              ? HttpRequest.newBuilder(URI.create(base + "/api/conversations/" + conversation + "/events?messageId="
                  + ConversationIds.newMessageId(1_000L))).build()
              : HttpRequest.newBuilder(URI.create(base + "/api/conversations/victim-" + i + "/events"))
                  .header("Last-Event-ID", new EventId(partition, 0).encode()).build();
          attack.add(http.sendAsync(request, HttpResponse.BodyHandlers.discarding()));
        }
        long attacked = resume(http, base, conversation, ownEvent);
        for (CompletableFuture<HttpResponse<Void>> f : attack) {
          forgedStatuses.merge(f.get().statusCode(), 1, Integer::sum);
        }
        if (round >= 0) { // round -1 warms up both
          besidePlainRequests.record(besidePlain);
          underAttack.record(attacked);
        }
      }
      System.out.printf("Legitimate resume, request -> headers, %d rounds, ms: alone p50 %d p99 %d max %d;"
              + " with %d GET /health in flight p50 %d p99 %d max %d;"
              + " with %d forged lookups in flight p50 %d p99 %d max %d%n", rounds,
          alone.percentile(0.5), alone.percentile(0.99), alone.percentile(1.0), forged,
          besidePlainRequests.percentile(0.5), besidePlainRequests.percentile(0.99), besidePlainRequests.percentile(1.0),
          forged, underAttack.percentile(0.5), underAttack.percentile(0.99), underAttack.percentile(1.0));
      System.out.printf("What the forged lookups add: p50 %+d ms, p99 %+d ms%n",
          underAttack.percentile(0.5) - besidePlainRequests.percentile(0.5),
          underAttack.percentile(0.99) - besidePlainRequests.percentile(0.99));
      System.out.println("Forged lookups answered: " + forgedStatuses);
    }
  }

  /** Milliseconds from sending a resume to its response headers (the stream is then closed). */
  private static long resume(HttpClient http, String base, String conversation, String lastEventId) throws Exception {
    long sent = System.nanoTime();
    HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(
            URI.create(base + "/api/conversations/" + conversation + "/events")).header("Last-Event-ID", lastEventId).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    long millis = (System.nanoTime() - sent) / 1_000_000;
    response.body().close();
    if (response.statusCode() != 200) {
      throw new IllegalStateException("a legitimate resume got " + response.statusCode());
    }
    return millis;
  }

  private static void post(HttpClient http, String base, String conversation, String text) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/conversations/" + conversation
            + "/messages")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"" + text + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 202) {
      throw new IllegalStateException("POST got " + r.statusCode());
    }
  }

  /** The id of the first stored event of the conversation, once its answer is in the transcript. */
  private static String firstEventId(HttpClient http, String base, String conversation) throws Exception {
    for (int tries = 0; !answered(http, base, conversation); tries++) {
      if (tries > 600) {
        throw new IllegalStateException(conversation + " was not answered");
      }
      Thread.sleep(100); // a benchmark waiting for the answer to be written, not a test
    }
    HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(
        URI.create(base + "/api/conversations/" + conversation + "/events?from=start")).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("id: ")) {
          return line.substring(4).trim();
        }
      }
    }
    throw new IllegalStateException("no event of " + conversation);
  }

  private static boolean answered(HttpClient http, String base, String conversation) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/conversations/" + conversation))
        .build(), HttpResponse.BodyHandlers.ofString());
    return r.statusCode() == 200 && r.body().contains("\"status\":\"done\"");
  }
}
