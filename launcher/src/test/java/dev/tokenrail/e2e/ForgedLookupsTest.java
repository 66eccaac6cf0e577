package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.gateway.delivery.DeliverySettings;
import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.protocol.EventId;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.model.ModelSettings;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Positions a client makes up cost the gateway next to nothing and are refused: a {@code Last-Event-ID} of
 * another conversation gets 400 (from before this conversation began, or after it, in its partition), a
 * message id dated before its conversation began or in the future is unknown without reading the log —
 * on the replay route and on cancel alike. A {@code Last-Event-ID} among the latest events the gateway read
 * live is checked in its memory; the second gateway remembers none, so it checks every one in the log.
 */
@ExtendWith(SharedKafka.class)
class ForgedLookupsTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static TokenrailStack stack;
  private static GatewayVerticle gateway;
  private static String base;
  /** A gateway that remembers no recent events: every Last-Event-ID is checked in the log. */
  private static GatewayVerticle logChecking;
  private static String logCheckingBase;
  /** Two conversations of one partition: {@link #earlier} answered before {@link #later} began. */
  private static String earlier;
  private static String later;
  private static List<SseClient.Event> earlierEvents;
  private static List<SseClient.Event> laterEvents;
  /** Events of {@link #earlier}'s third message, written after {@link #later} began. */
  private static List<SseClient.Event> earlierAfterLater;

  @BeforeAll
  static void start() {
    stack = TokenrailStack.start(ModelSettings.demo(1_000, 0), 1);
    gateway = stack.gateway(0);
    base = stack.baseUrl();
    logChecking = TokenrailStack.startGateway(stack.vertx(), TokenrailStack.gatewayConfig(stack.kafka())
        .withDelivery(DeliverySettings.DEFAULT.withRecentEventsPerPartition(0)));
    logCheckingBase = "http://localhost:" + logChecking.actualPort();
    String prefix = "forged-" + System.nanoTime() + "-";
    int partition = Partitioning.partitionOf(prefix + 0, TokenrailStack.PARTITIONS);
    List<String> samePartition = IntStream.range(0, 1_000).mapToObj(i -> prefix + i)
        .filter(id -> Partitioning.partitionOf(id, TokenrailStack.PARTITIONS) == partition).limit(2).toList();
    earlier = samePartition.get(0);
    later = samePartition.get(1);
    earlierEvents = answer(earlier, "#tokens=5 first");
    laterEvents = answer(later, "#tokens=5 second");
    earlierAfterLater = answer(earlier, "#tokens=5 third"); // the earlier conversation goes on after the later one began
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"checked in memory", "checked in the log"})
  void aLastEventIdOfAnotherConversationIsRefusedWhetherItIsOlderOrNewer(String gatewayKind) {
    boolean inMemory = gatewayKind.equals("checked in memory");
    String gatewayBase = inMemory ? base : logCheckingBase;
    GatewayVerticle checking = inMemory ? gateway : logChecking;
    double readBefore = lookupRecordsRead(checking);
    String olderThanLater = earlierEvents.get(0).id(); // written before `later` started
    assertThat(resume(gatewayBase, later, olderThanLater).status()).isEqualTo(400);
    assertThat(resume(gatewayBase, later, olderThanLater).json().getJsonObject("error").getString("code"))
        .isEqualTo("invalid_last_event_id");

    String newerThanLaterStart = earlierAfterLater.get(earlierAfterLater.size() - 1).id();
    assertThat(EventId.parse(newerThanLaterStart).orElseThrow().offset())
        .isGreaterThan(EventId.parse(laterEvents.get(0).id()).orElseThrow().offset());
    assertThat(resume(gatewayBase, later, newerThanLaterStart).status())
        .as("an event of another conversation, same partition").isEqualTo(400);
    try (SseClient own = SseClient.connect(gatewayBase + "/api/conversations/" + later + "/events",
        java.util.Map.of("Last-Event-ID", laterEvents.get(1).id()))) {
      assertThat(own.response().statusCode()).as("its own event resumes").isEqualTo(200);
      assertThat(own.awaitTerminal(PATIENCE).get(0).data().getLong("seq")).as("right after it").isEqualTo(2);
    }
    if (inMemory) {
      assertThat(lookupRecordsRead(checking)).as("records read to check them").isEqualTo(readBefore);
    } else {
      assertThat(lookupRecordsRead(checking)).as("records read to check them").isGreaterThan(readBefore);
    }
  }

  @Test
  void aMessageIdDatedBeforeItsConversationOrInTheFutureIsUnknownWithoutReadingTheLog() {
    double readBefore = lookupRecordsRead();
    String in1970 = ConversationIds.newMessageId(1_000L);
    String nextYear = ConversationIds.newMessageId(System.currentTimeMillis() + Duration.ofDays(365).toMillis());
    for (int i = 0; i < 50; i++) {
      for (String forged : List.of(in1970, nextYear)) {
        Http.Response replay = Http.send(HttpRequest.newBuilder(URI.create(eventsUrl(later) + "?messageId=" + forged)).build());
        assertThat(replay.status()).isEqualTo(404);
        assertThat(replay.json().getJsonObject("error").getString("code")).isEqualTo("unknown_message");
        Http.Response cancel = Http.postJson(base + "/api/conversations/" + later + "/cancel",
            "{\"messageId\":\"" + forged + "\"}");
        assertThat(cancel.status()).isEqualTo(404);
      }
      Http.Response unknownConversation = Http.send(HttpRequest.newBuilder(
          URI.create(eventsUrl("never-started-" + i) + "?messageId=" + ConversationIds.newMessageId())).build());
      assertThat(unknownConversation.status()).isEqualTo(404);
    }
    assertThat(lookupRecordsRead()).as("records the lookups read").isEqualTo(readBefore);

    String real = laterEvents.get(0).data().getString("messageId");
    try (SseClient replay = SseClient.connect(eventsUrl(later) + "?messageId=" + real)) {
      assertThat(replay.awaitTerminal(PATIENCE).get(0).data().getString("messageId")).isEqualTo(real);
    }
    assertThat(lookupRecordsRead()).as("a real message is looked up, reading a little").isGreaterThan(readBefore);
  }

  private static List<SseClient.Event> answer(String conversation, String text) {
    try (SseClient stream = SseClient.connect(eventsUrl(conversation))) {
      String messageId = Http.postMessage(base, conversation, text);
      return stream.awaitEvent(e -> e.type().equals("done") && messageId.equals(e.data().getString("messageId")), PATIENCE)
          .stream().filter(e -> messageId.equals(e.data().getString("messageId"))).toList();
    }
  }

  /** A resume expected to be refused; one accepted instead (a stream) is closed at once and answers its status. */
  private static Http.Response resume(String gatewayBase, String conversation, String lastEventId) {
    String url = gatewayBase + "/api/conversations/" + conversation + "/events";
    try (SseClient stream = SseClient.connect(url, java.util.Map.of("Last-Event-ID", lastEventId))) {
      return new Http.Response(stream.response().statusCode(), "text/event-stream", "", stream.response().headers());
    } catch (IllegalStateException refused) { // SseClient takes only a 200: ask again for the refusal's body
      return Http.send(HttpRequest.newBuilder(URI.create(url)).header("Last-Event-ID", lastEventId).build());
    }
  }

  private static String eventsUrl(String conversation) {
    return base + "/api/conversations/" + conversation + "/events";
  }

  private static double lookupRecordsRead() {
    return lookupRecordsRead(gateway);
  }

  private static double lookupRecordsRead(GatewayVerticle of) {
    String tag = "gateway=\"" + of.instanceId() + "\"";
    return Http.get(base + "/metrics").body().lines()
        .filter(l -> l.startsWith("tokenrail_lookup_records_read_total{") && l.contains(tag))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }
}
