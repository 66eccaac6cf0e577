package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code GET /api/conversations/{id}} with two gateways: answers streamed through one are in the
 * transcript read from the other as soon as their {@code done} arrived, with their status and tool calls.
 */
@ExtendWith(SharedKafka.class)
class TranscriptTest {

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
  void theOtherGatewayReturnsEveryTurnAsStreamedRightAfterItsDone() {
    String conversation = "transcript-two";
    String first;
    String second;
    List<SseClient.Event> events;
    try (SseClient client = SseClient.connect(eventsUrl(0, conversation))) {
      first = Http.postMessage(stack.baseUrl(0), conversation, "Hello there");
      second = Http.postMessage(stack.baseUrl(0), conversation, "calculate 2 ^ 8");
      events = client.awaitEvent(e -> e.type().equals("done") && second.equals(e.data().getString("messageId")), PATIENCE);
    }
    Http.Response response = Http.get(stack.baseUrl(1) + "/api/conversations/" + conversation);
    assertThat(response.status()).isEqualTo(200);
    JsonObject transcript = response.json();
    assertThat(transcript.getString("conversationId")).isEqualTo(conversation);
    JsonArray messages = transcript.getJsonArray("messages");
    assertThat(messages).hasSize(4);
    assertThat(messages.getJsonObject(0)).isEqualTo(new JsonObject().put("messageId", first).put("role", "user")
        .put("text", "Hello there").put("status", "sent"));
    assertAnswer(messages.getJsonObject(1), first, doneText(events, first), "done");
    assertThat(messages.getJsonObject(2).getString("text")).isEqualTo("calculate 2 ^ 8");
    JsonObject toolAnswer = messages.getJsonObject(3);
    assertAnswer(toolAnswer, second, doneText(events, second), "done");
    JsonObject call = toolAnswer.getJsonArray("toolCalls").getJsonObject(0);
    assertThat(call.getString("name")).isEqualTo("calculator");
    assertThat(call.getString("result")).isEqualTo("256");
    assertThat(call.getBoolean("isError")).isFalse();
  }

  @Test
  void aCancelledAnswerIsKeptWithTheTextThatStreamedMarkedCancelled() {
    String conversation = "transcript-cancel";
    try (SseClient client = SseClient.connect(eventsUrl(0, conversation))) {
      String id = Http.postMessage(stack.baseUrl(0), conversation, "#tokens=20000 a long one");
      client.awaitEvent(e -> e.type().equals("token") && e.data().getLong("seq") >= 5, PATIENCE);
      assertThat(Http.postJson(stack.baseUrl(0) + "/api/conversations/" + conversation + "/cancel",
          new JsonObject().put("messageId", id).encode()).status()).isEqualTo(202);
      List<SseClient.Event> events = client.awaitTerminal(PATIENCE);
      assertThat(events.get(events.size() - 1).type()).isEqualTo("cancelled");
      String streamed = events.stream().filter(e -> e.type().equals("token"))
          .map(e -> e.data().getString("text")).collect(Collectors.joining());

      JsonArray messages = Http.get(stack.baseUrl(1) + "/api/conversations/" + conversation).json().getJsonArray("messages");
      assertThat(messages).hasSize(2);
      assertAnswer(messages.getJsonObject(1), id, streamed, "cancelled");
      assertThat(streamed).isNotEmpty();
    }
  }

  @Test
  void anUnknownConversationIs404AndABadIdIs400() {
    Http.Response unknown = Http.get(stack.baseUrl(1) + "/api/conversations/never-seen-here");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.json().getJsonObject("error").getString("code")).isEqualTo("unknown_conversation");
    assertThat(Http.get(stack.baseUrl(0) + "/api/conversations/bad%20id").status()).isEqualTo(400);
  }

  private static void assertAnswer(JsonObject answer, String messageId, String text, String status) {
    assertThat(answer.getString("messageId")).isEqualTo(messageId);
    assertThat(answer.getString("role")).isEqualTo("assistant");
    assertThat(answer.getString("text")).isEqualTo(text);
    assertThat(answer.getString("status")).isEqualTo(status);
  }

  private static String doneText(List<SseClient.Event> events, String messageId) {
    return events.stream().filter(e -> e.type().equals("done") && messageId.equals(e.data().getString("messageId")))
        .findFirst().orElseThrow().data().getString("text");
  }

  private static String eventsUrl(int gateway, String conversation) {
    return stack.baseUrl(gateway) + "/api/conversations/" + conversation + "/events";
  }
}
