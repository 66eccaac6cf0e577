package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.model.ModelSettings;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The {@code openai} provider: langchain4j's real OpenAI streaming client against an OpenAI-compatible
 * server written in the test. No network.
 */
@ExtendWith(SharedKafka.class)
class OpenAiProviderTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final String API_KEY = "sk-test-0123456789-secret";
  private static final List<String> TOKENS = List.of("Kafka", " keeps", " the", " order", " of", " every", " token", ".");

  private static OpenAiCompatibleServer model;
  private static TokenrailStack stack;

  @BeforeAll
  static void start() {
    model = new OpenAiCompatibleServer(prompt -> {
      if (prompt.contains("fail-500")) {
        return new OpenAiCompatibleServer.Script.Fail(500, "{\"error\":{\"message\":\"internal detail sk-leak\"}}");
      }
      if (prompt.contains("fail-400")) {
        return new OpenAiCompatibleServer.Script.Fail(400, "{\"error\":{\"message\":\"bad request detail\"}}");
      }
      return new OpenAiCompatibleServer.Script.Stream(TOKENS, 5);
    });
    stack = TokenrailStack.start(ModelSettings.openAi(model.baseUrl(), API_KEY, "test-model"));
  }

  @AfterAll
  static void stop() {
    stack.close();
    model.close();
  }

  @Test
  void eachStreamedChunkBecomesOneTokenEventAndDoneHoldsTheirText() {
    String conversation = "openai-stream";
    try (SseClient client = SseClient.connect(eventsUrl(conversation))) {
      String messageId = Http.postMessage(stack.baseUrl(), conversation, "What does Kafka keep?");
      List<SseClient.Event> events = client.awaitTerminal(PATIENCE);

      String text = assertCompleteAnswer(events, conversation, messageId, TokenrailStack.PARTITIONS);
      assertThat(events).filteredOn(e -> e.type().equals("token")).extracting(e -> e.data().getString("text"))
          .containsExactlyElementsOf(TOKENS);
      assertThat(text).isEqualTo(String.join("", TOKENS));
      assertThat(events.get(0).data().getString("model")).isEqualTo("openai:test-model");
      SseClient.Event done = events.get(events.size() - 1);
      assertThat(done.data().getString("finishReason")).isEqualTo("stop");
    }
    OpenAiCompatibleServer.Recorded request = model.requests().stream()
        .filter(r -> r.lastUserText().equals("What does Kafka keep?")).findFirst().orElseThrow();
    assertThat(request.body().getBoolean("stream")).isTrue();
    assertThat(request.body().getString("model")).isEqualTo("test-model");
    assertThat(request.authorization()).isEqualTo("Bearer " + API_KEY);
  }

  @Test
  void aServerErrorEndsTheAnswerWithModelUnavailableAndNoProviderDetail() {
    SseClient.Event error = terminalOf("openai-500", "please fail-500");
    assertThat(error.type()).isEqualTo("error");
    assertThat(error.data().getString("code")).isEqualTo("model_unavailable");
    assertThat(error.data().getString("message")).doesNotContain("internal detail").doesNotContain("sk-");
  }

  @Test
  void aRejectedRequestEndsTheAnswerWithInvalidRequest() {
    SseClient.Event error = terminalOf("openai-400", "please fail-400");
    assertThat(error.type()).isEqualTo("error");
    assertThat(error.data().getString("code")).isEqualTo("invalid_request");
    assertThat(error.data().getString("message")).doesNotContain("bad request detail");
  }

  private static SseClient.Event terminalOf(String conversation, String prompt) {
    try (SseClient client = SseClient.connect(eventsUrl(conversation))) {
      String messageId = Http.postMessage(stack.baseUrl(), conversation, prompt);
      List<SseClient.Event> events = client.awaitTerminal(PATIENCE);
      assertThat(events.get(0).type()).isEqualTo("start");
      assertThat(events).allSatisfy(e -> assertThat(e.data().getString("messageId")).isEqualTo(messageId));
      assertThat(events).filteredOn(e -> e.type().equals("token")).isEmpty();
      return events.get(events.size() - 1);
    }
  }

  private static String eventsUrl(String conversation) {
    return stack.baseUrl() + "/api/conversations/" + conversation + "/events";
  }
}
