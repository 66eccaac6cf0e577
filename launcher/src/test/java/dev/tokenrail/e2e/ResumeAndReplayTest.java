package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.protocol.EventId;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.testkit.Answers;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Streams continue where they stopped, on any gateway; conversations and messages replay from the log. */
@ExtendWith(SharedKafka.class)
class ResumeAndReplayTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static TokenrailStack stack;

  @BeforeAll
  static void start() {
    stack = TokenrailStack.start(ModelSettings.demo(200, 10), 2);
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @Test
  void reconnectingMidAnswerOnTheOtherGatewayResumesWithoutLossOrDuplicate() {
    String conversation = "resume-other-gateway";
    List<SseClient.Event> seen = new ArrayList<>();
    String messageId;
    String lastEventId;
    try (SseClient first = SseClient.connect(eventsUrl(0, conversation))) {
      messageId = Http.postMessage(stack.baseUrl(0), conversation, "#tokens=300 resume me");
      first.awaitEvent(e -> e.type().equals("token") && e.data().getLong("seq") >= 40, PATIENCE);
      seen.addAll(first.events());
      lastEventId = first.lastEventId();
    } // the connection drops mid-answer
    assertThat(seen).noneMatch(e -> e.type().equals("done"));

    try (SseClient second = SseClient.connect(eventsUrl(1, conversation), Map.of("Last-Event-ID", lastEventId))) {
      List<SseClient.Event> rest = second.awaitTerminal(PATIENCE);
      assertThat(rest.get(0).data().getLong("seq")).isEqualTo(seen.get(seen.size() - 1).data().getLong("seq") + 1);
      seen.addAll(rest);
    }
    assertThat(seen).extracting(SseClient.Event::id).doesNotHaveDuplicates();
    assertCompleteAnswer(seen, conversation, messageId, TokenrailStack.PARTITIONS);
    assertThat(Answers.tokenCount(seen, messageId)).isEqualTo(300);
  }

  @Test
  void lastEventIdAsAQueryParameterResumesTheSameWay() {
    String conversation = "resume-query";
    try (SseClient client = SseClient.connect(eventsUrl(0, conversation))) {
      String messageId = Http.postMessage(stack.baseUrl(0), conversation, "#tokens=20 query resume");
      List<SseClient.Event> all = client.awaitTerminal(PATIENCE);
      String fifth = all.get(5).id();
      try (SseClient resumed = SseClient.connect(eventsUrl(1, conversation) + "?lastEventId=" + fifth)) {
        List<SseClient.Event> rest = resumed.awaitTerminal(PATIENCE);
        assertThat(rest).extracting(SseClient.Event::id).isEqualTo(all.subList(6, all.size()).stream().map(SseClient.Event::id).toList());
        assertThat(rest.get(rest.size() - 1).data().getString("messageId")).isEqualTo(messageId);
      }
    }
  }

  @Test
  void aFinishedConversationReplaysFromItsStartThenContinuesLive() {
    String conversation = "replay-conversation";
    List<SseClient.Event> original;
    String first;
    String second;
    try (SseClient client = SseClient.connect(eventsUrl(0, conversation))) {
      first = Http.postMessage(stack.baseUrl(0), conversation, "#tokens=15 first message");
      client.awaitEvent(e -> e.type().equals("done"), PATIENCE);
      second = Http.postMessage(stack.baseUrl(0), conversation, "#tokens=25 second message");
      client.awaitEvent(e -> e.type().equals("done") && e.data().getString("messageId").equals(second), PATIENCE);
      original = client.events();
    }
    try (SseClient replay = SseClient.connect(eventsUrl(1, conversation) + "?from=start")) {
      replay.awaitEvent(e -> e.type().equals("done") && e.data().getString("messageId").equals(second), PATIENCE);
      assertThat(replay.events()).extracting(SseClient.Event::id)
          .isEqualTo(original.stream().map(SseClient.Event::id).toList());
      assertCompleteAnswer(replay.events(), conversation, first, TokenrailStack.PARTITIONS);
      assertCompleteAnswer(replay.events(), conversation, second, TokenrailStack.PARTITIONS);

      String third = Http.postMessage(stack.baseUrl(0), conversation, "#tokens=5 and live after the replay");
      replay.awaitEvent(e -> e.type().equals("done") && e.data().getString("messageId").equals(third), PATIENCE);
      assertCompleteAnswer(replay.events(), conversation, third, TokenrailStack.PARTITIONS);
      assertThat(replay.events()).extracting(SseClient.Event::id).doesNotHaveDuplicates();
    }
  }

  @Test
  void oneMessageReplaysFromItsFirstEvent() {
    String conversation = "replay-message";
    String first;
    String second;
    try (SseClient client = SseClient.connect(eventsUrl(0, conversation))) {
      first = Http.postMessage(stack.baseUrl(0), conversation, "#tokens=10 not this one");
      client.awaitEvent(e -> e.type().equals("done"), PATIENCE);
      second = Http.postMessage(stack.baseUrl(0), conversation, "#tokens=12 this one");
      client.awaitEvent(e -> e.type().equals("done") && e.data().getString("messageId").equals(second), PATIENCE);
    }
    try (SseClient replay = SseClient.connect(eventsUrl(1, conversation) + "?messageId=" + second)) {
      List<SseClient.Event> events = replay.awaitTerminal(PATIENCE);
      assertThat(events.get(0).type()).isEqualTo("start");
      assertThat(events).noneMatch(e -> e.data().getString("messageId").equals(first));
      assertCompleteAnswer(events, conversation, second, TokenrailStack.PARTITIONS);
    }
  }

  @Test
  void everyOneOfTwentySubscribersGetsTheWholeStream() {
    String conversation = "twenty-tabs";
    List<SseClient> tabs = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        tabs.add(SseClient.connect(eventsUrl(i % 2, conversation)));
      }
      String messageId = Http.postMessage(stack.baseUrl(0), conversation, "#tokens=50 for every tab");
      List<String> ids = null;
      for (SseClient tab : tabs) {
        List<SseClient.Event> events = tab.awaitTerminal(PATIENCE);
        assertCompleteAnswer(events, conversation, messageId, TokenrailStack.PARTITIONS);
        List<String> tabIds = events.stream().map(SseClient.Event::id).toList();
        if (ids == null) {
          ids = tabIds;
        }
        assertThat(tabIds).isEqualTo(ids);
      }
    } finally {
      tabs.forEach(SseClient::close);
    }
  }

  @Test
  void anIdleStreamGetsKeepAliveCommentsAndARetryHint() {
    GatewayVerticle pinging = TokenrailStack.startGateway(stack.vertx(),
        TokenrailStack.gatewayConfig(stack.kafka()).withKeepAlive(Duration.ofSeconds(1)));
    try (SseClient idle = SseClient.connect("http://localhost:" + pinging.actualPort() + "/api/conversations/idle/events")) {
      org.awaitility.Awaitility.await().atMost(PATIENCE).until(() -> idle.comments().stream().filter("ping"::equals).count() >= 2);
      assertThat(idle.retries()).containsExactly("2000");
      assertThat(idle.events()).isEmpty();
    }
  }

  @Test
  void positionsThatCannotBeThisConversationsAreRejectedAndOpenNothing() throws Exception {
    String conversation = "bad-positions";
    String onAnotherPartition = new EventId((Partitioning.partitionOf(conversation, TokenrailStack.PARTITIONS) + 1)
        % TokenrailStack.PARTITIONS, 0).encode();
    String beyondTheEnd = new EventId(Partitioning.partitionOf(conversation, TokenrailStack.PARTITIONS), 1L << 40).encode();
    dev.tokenrail.gateway.delivery.StreamStats before = TokenrailStack.await(stack.gateway(0).streamStats());
    for (String[] c : List.of(
        new String[] {"Last-Event-ID", "not-an-id", "invalid_last_event_id"},
        new String[] {"Last-Event-ID", "1.3", "invalid_last_event_id"},
        new String[] {"Last-Event-ID", onAnotherPartition, "invalid_last_event_id"},
        new String[] {"Last-Event-ID", beyondTheEnd, "invalid_last_event_id"},
        new String[] {"?lastEventId=", "../../x", "invalid_last_event_id"},
        new String[] {"?from=", "yesterday", "invalid_from"},
        new String[] {"?messageId=", "not-a-message-id", "invalid_message_id"},
        new String[] {"?messageId=", "01900000-0000-7000-8000-000000000000", "unknown_message"})) {
      HttpRequest.Builder request;
      if (c[0].startsWith("?")) {
        request = HttpRequest.newBuilder(URI.create(eventsUrl(0, conversation) + c[0] + c[1]));
      } else {
        request = HttpRequest.newBuilder(URI.create(eventsUrl(0, conversation))).header(c[0], c[1]);
      }
      Http.Response response = Http.send(request.GET().build());
      assertThat(response.status()).as(String.join(" ", c)).isEqualTo(c[2].equals("unknown_message") ? 404 : 400);
      assertThat(response.contentType()).startsWith("application/json");
      JsonObject error = response.json().getJsonObject("error");
      assertThat(error.getString("code")).as(String.join(" ", c)).isEqualTo(c[2]);
    }
    assertThat(TokenrailStack.await(stack.gateway(0).streamStats()).open()).isEqualTo(before.open());
  }

  private static String eventsUrl(int gateway, String conversation) {
    return stack.baseUrl(gateway) + "/api/conversations/" + conversation + "/events";
  }
}
