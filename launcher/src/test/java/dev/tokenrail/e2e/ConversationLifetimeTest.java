package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.ChatSettings;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A conversation has an end: its owner deletes it, or it stays idle past its retention. Either way its
 * transcript, its start and the worker's memory of it are gone — later reads are 404, and a new message
 * under the same id starts a new conversation whose prompt holds nothing of the old one.
 */
@ExtendWith(SharedKafka.class)
class ConversationLifetimeTest {

  private static final List<String> TOKENS = List.of("Kafka", " remembers", ".");
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static OpenAiCompatibleServer model;

  @BeforeAll
  static void startModel() {
    model = new OpenAiCompatibleServer(prompt -> new OpenAiCompatibleServer.Script.Stream(TOKENS, 1));
  }

  @AfterAll
  static void stopModel() {
    model.close();
  }

  @Test
  void theOwnerDeletesAConversationAndNothingOfItRemains() {
    try (TokenrailStack stack = TokenrailStack.start(
        kafka -> WorkerConfig.of(kafka, ModelSettings.openAi(model.baseUrl(), "sk-test", "test-model"), 100)
            .withDrainTimeout(Duration.ZERO), 0)) {
      GatewayVerticle gateway = TokenrailStack.startGateway(stack.vertx(),
          TokenrailStack.gatewayConfig(stack.kafka()).withAuth(TestTokens.SETTINGS));
      String base = "http://localhost:" + gateway.actualPort();
      TestTokens tokens = new TestTokens(stack.vertx());
      String alice = tokens.forSubject("alice");
      String bob = tokens.forSubject("bob");
      String conversation = "to-delete";
      String first = converse(base, alice, conversation, "remember the word kestrel");
      converse(base, alice, conversation, "and the word heron");

      assertThat(delete(base, bob, conversation).status()).as("only its owner can delete it").isEqualTo(404);
      assertThat(Http.get(base + "/api/conversations/" + conversation, alice).status()).isEqualTo(200);

      assertThat(delete(base, alice, conversation).status()).isEqualTo(204);
      Http.Response transcript = Http.get(base + "/api/conversations/" + conversation, alice);
      assertThat(transcript.status()).isEqualTo(404);
      assertThat(transcript.json().getJsonObject("error").getString("code")).isEqualTo("unknown_conversation");
      assertThat(Http.get(base + "/api/conversations/" + conversation + "/events?messageId=" + first, alice).status())
          .as("a replay of one of its messages").isEqualTo(404);
      assertThat(delete(base, alice, conversation).status()).as("deleted already").isEqualTo(404);

      int before = model.requests().size();
      converse(base, alice, conversation, "what words did I ask you to remember?");
      OpenAiCompatibleServer.Recorded prompt = model.requests().get(before);
      assertThat(prompt.messages().stream().map(JsonObject.class::cast).map(m -> m.getString("content")))
          .as("the prompt of the same id after the delete: a new conversation")
          .noneMatch(c -> c != null && (c.contains("kestrel") || c.contains("heron")))
          .contains("what words did I ask you to remember?");
      assertThat(Http.get(base + "/api/conversations/" + conversation, alice).json().getJsonArray("messages"))
          .as("the new conversation's transcript: one turn, two messages").hasSize(2);
    }
  }

  @Test
  void aConversationIdlePastItsRetentionIsErased() {
    Duration retention = Duration.ofSeconds(3);
    try (TokenrailStack stack = TokenrailStack.start(kafka -> WorkerConfig.of(kafka,
            ModelSettings.openAi(model.baseUrl(), "sk-test", "test-model"), 100).withDrainTimeout(Duration.ZERO)
        .withChat(ChatSettings.DEFAULT.withRetention(retention)), 1)) {
      String base = stack.baseUrl();
      converse(base, null, "short-lived", "remember the word osprey");
      assertThat(Http.get(base + "/api/conversations/short-lived").status()).isEqualTo(200);
      await().atMost(PATIENCE).untilAsserted(() ->
          assertThat(Http.get(base + "/api/conversations/short-lived").status()).as("after its retention").isEqualTo(404));

      int before = model.requests().size();
      converse(base, null, "short-lived", "what word?");
      assertThat(model.requests().get(before).messages().encode()).doesNotContain("osprey");
    }
  }

  /**
   * A stateless completion (it names no conversation: its client holds the history) makes a conversation
   * of its own, which would otherwise take room in every index for the whole retention: it is erased after
   * the shorter stateless retention, while a named conversation as idle is kept.
   */
  @Test
  void aStatelessCompletionsConversationIsErasedAfterTheShorterStatelessRetention() {
    try (TokenrailStack stack = TokenrailStack.start(kafka -> WorkerConfig.of(kafka,
            ModelSettings.openAi(model.baseUrl(), "sk-test", "test-model"), 100).withDrainTimeout(Duration.ZERO)
        .withChat(ChatSettings.DEFAULT.withStatelessRetention(Duration.ofSeconds(3))), 1)) {
      String base = stack.baseUrl();
      Http.Response completion = Http.postJson(base + "/v1/chat/completions",
          "{\"model\":\"tokenrail\",\"messages\":[{\"role\":\"user\",\"content\":\"remember the word wren\"}]}");
      assertThat(completion.status()).isEqualTo(200);
      String stateless = completion.header("X-Conversation-Id");
      assertThat(stateless).startsWith("chat-");
      assertThat(Http.get(base + "/api/conversations/" + stateless).status()).isEqualTo(200);
      converse(base, null, "named-and-idle", "remember the word rook");

      await().atMost(PATIENCE).untilAsserted(() ->
          assertThat(Http.get(base + "/api/conversations/" + stateless).status()).as("after its retention").isEqualTo(404));
      Http.Response named = Http.get(base + "/api/conversations/named-and-idle");
      assertThat(named.status()).as("a named conversation idle as long").isEqualTo(200);
      assertThat(named.body()).contains("rook");
    }
  }

  /** Posts a message and waits for its answer; returns its id. */
  private static String converse(String base, String token, String conversation, String text) {
    try (SseClient stream = SseClient.connect(base + "/api/conversations/" + conversation + "/events",
        token == null ? java.util.Map.of() : Http.bearer(token))) {
      Http.Response posted = Http.postMessage(base, conversation, text, token);
      assertThat(posted.status()).isEqualTo(202);
      String messageId = posted.json().getString("messageId");
      stream.awaitEvent(e -> e.type().equals("done") && messageId.equals(e.data().getString("messageId")), PATIENCE);
      return messageId;
    }
  }

  private static Http.Response delete(String base, String token, String conversation) {
    return Http.send(HttpRequest.newBuilder(URI.create(base + "/api/conversations/" + conversation))
        .header("Authorization", "Bearer " + token).DELETE().build());
  }
}
