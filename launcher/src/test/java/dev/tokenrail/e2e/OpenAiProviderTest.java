package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.model.ModelSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

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
  /** Every log line of the JVM from before the stack starts: where an API key must never show. */
  private static final ListAppender<ILoggingEvent> LOGS = new ListAppender<>();

  @BeforeAll
  static void start() {
    LOGS.start();
    ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).addAppender(LOGS);
    model = new OpenAiCompatibleServer(prompt -> {
      if (prompt.contains("fail-401")) { // as OpenAI answers a bad key: with the key in the message
        return new OpenAiCompatibleServer.Script.Fail(401, "{\"error\":{\"message\":\"Incorrect API key provided: "
            + API_KEY + ".\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");
      }
      if (prompt.contains("fail-500")) {
        return new OpenAiCompatibleServer.Script.Fail(500, "{\"error\":{\"message\":\"internal detail sk-leak\"}}");
      }
      if (prompt.contains("fail-400")) {
        return new OpenAiCompatibleServer.Script.Fail(400, "{\"error\":{\"message\":\"bad request detail\"}}");
      }
      if (prompt.contains("think-long")) { // a minute before its first token: only a cancel ends it sooner
        return new OpenAiCompatibleServer.Script.Think(60_000, TOKENS);
      }
      return new OpenAiCompatibleServer.Script.Stream(TOKENS, 5);
    });
    stack = TokenrailStack.start(ModelSettings.openAi(model.baseUrl(), API_KEY, "test-model"));
  }

  @AfterAll
  static void stop() {
    ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).detachAppender(LOGS);
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

  /**
   * langchain4j gives a cancel handle with the first token only; a cancel before it must still reach the
   * provider — it closes the request — rather than let it generate (and bill) the whole answer.
   */
  @Test
  void aCancelBeforeTheFirstTokenClosesTheProvidersStream() {
    String conversation = "openai-cancel-early";
    int closedBefore = model.closedBeforeTheEnd();
    int requestsBefore = model.requests().size();
    try (SseClient client = SseClient.connect(eventsUrl(conversation))) {
      String messageId = Http.postMessage(stack.baseUrl(), conversation, "think-long before answering");
      client.awaitEvent(e -> e.type().equals("start"), PATIENCE);
      await().atMost(PATIENCE).until(() -> model.requests().size() > requestsBefore); // the provider is thinking
      Http.Response cancel = Http.postJson(stack.baseUrl() + "/api/conversations/" + conversation + "/cancel",
          "{\"messageId\":\"" + messageId + "\"}");
      assertThat(cancel.status()).isEqualTo(202);
      List<SseClient.Event> events = client.awaitTerminal(PATIENCE);
      assertThat(events.get(events.size() - 1).type()).isEqualTo("cancelled");
      assertThat(events).noneMatch(e -> e.type().equals("token"));
      await().atMost(PATIENCE).untilAsserted(() -> assertThat(model.closedBeforeTheEnd())
          .as("the provider's stream was closed by the worker").isEqualTo(closedBefore + 1));
    }
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

  /**
   * The provider refuses the key and quotes it back, as OpenAI does. The key went out (the request carried
   * it), yet it is nowhere: not in the error event, not in any record in Kafka, not in a log line or a
   * logged stack trace, not in the metrics.
   */
  @Test
  void theApiKeyNeverAppearsInEventsKafkaLogsOrMetrics() {
    SseClient.Event error = terminalOf("openai-401", "please fail-401");
    assertThat(error.type()).isEqualTo("error");
    assertThat(model.requests()).anySatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer " + API_KEY));
    assertThat(error.data().encode()).doesNotContain(API_KEY);

    for (String topic : List.of(stack.kafka().topics().events(), stack.kafka().topics().requests(),
        stack.kafka().topics().memory())) {
      assertThat(TopicContents.readAll(stack.kafka().bootstrapServers(), topic))
          .as("records of %s", topic).isNotEmpty()
          .allSatisfy(r -> assertThat(new String(r.value(), StandardCharsets.UTF_8)).doesNotContain(API_KEY));
    }
    assertThat(LOGS.list).as("log lines so far").hasSizeGreaterThan(10).allSatisfy(line -> {
      assertThat(line.getFormattedMessage()).doesNotContain(API_KEY);
      if (line.getThrowableProxy() != null) {
        assertThat(ThrowableProxyUtil.asString(line.getThrowableProxy())).doesNotContain(API_KEY);
      }
    });
    assertThat(LOGS.list).as("the refusal was logged (without the key)")
        .anySatisfy(line -> assertThat(line.getFormattedMessage()).containsAnyOf("401", "authentication", "Authentication"));
    assertThat(Http.get(stack.baseUrl() + "/metrics").body()).doesNotContain(API_KEY);
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
