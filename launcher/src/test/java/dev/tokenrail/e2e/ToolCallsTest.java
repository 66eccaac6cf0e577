package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.e2e.OpenAiCompatibleServer.Script;
import dev.tokenrail.e2e.OpenAiCompatibleServer.ToolCall;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.ChatSettings;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tool calls through langchain4j's real OpenAI client: the test's server streams {@code tool_calls} deltas,
 * the worker publishes each call and its result as events, runs the tool, and the model continues with
 * the result. Also the demo model's offline tool path, end to end over SSE.
 */
@ExtendWith(SharedKafka.class)
class ToolCallsTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final int MAX_TOOL_ROUNDS = 2;

  private static OpenAiCompatibleServer provider;
  private static TokenrailStack openAi;
  private static TokenrailStack demo;

  @BeforeAll
  static void start() {
    provider = OpenAiCompatibleServer.answering(request -> {
      String prompt = request.lastUserText();
      if (prompt.contains("loop") && request.body().containsKey("tools")) {
        return new Script.CallTools(List.of(new ToolCall("call_" + request.messages().size(), "current_time", "{}")));
      }
      if (request.lastRole().equals("tool") && !prompt.contains("loop")) { // the model has its tools' results: it answers with them
        JsonArray messages = request.messages();
        return new Script.Stream(List.of("Tools", " said:", " " + messages.getJsonObject(messages.size() - 1)
            .getString("content")), 1);
      }
      if (prompt.contains("multiply")) {
        return new Script.CallTools(List.of(new ToolCall("call_mul", "calculator", "{\"expression\":\"6 * 7\"}")));
      }
      if (prompt.contains("broken tools")) {
        return new Script.CallTools(List.of(new ToolCall("call_w", "weather", "{\"city\":\"Oslo\"}"),
            new ToolCall("call_x", "calculator", "{\"expression\": oops")));
      }
      return new Script.Stream(List.of("No", " tools", " needed."), 1); // also a loop offered no more tools
    });
    openAi = TokenrailStack.start(kafka -> WorkerConfig.of(kafka,
            ModelSettings.openAi(provider.baseUrl(), "sk-test", "test-model"), 1_000)
        .withDrainTimeout(Duration.ZERO)
        .withChat(new ChatSettings(ChatSettings.DEFAULT.memory(), ChatSettings.DEFAULT.tools(), MAX_TOOL_ROUNDS,
            ChatSettings.DEFAULT_TOOL_TIMEOUT)), 1);
    demo = TokenrailStack.start(ModelSettings.demo(200, 10));
  }

  @AfterAll
  static void stop() {
    openAi.close();
    demo.close();
    provider.close();
  }

  @Test
  void aStreamedToolCallIsPublishedRunAndItsResultSentBackToTheModel() {
    List<SseClient.Event> events = answer(openAi, "tools-openai", "Please multiply six by seven.");
    String text = assertCompleteAnswer(events, "tools-openai", events.get(0).data().getString("messageId"),
        TokenrailStack.PARTITIONS);
    assertThat(text).isEqualTo("Tools said: 42");
    SseClient.Event call = only(events, "tool_call");
    assertThat(call.data().getString("toolCallId")).isEqualTo("call_mul");
    assertThat(call.data().getString("name")).isEqualTo("calculator");
    assertThat(new JsonObject(call.data().getString("arguments"))).isEqualTo(new JsonObject().put("expression", "6 * 7"));
    SseClient.Event result = only(events, "tool_result");
    assertThat(result.data().getString("result")).isEqualTo("42");
    assertThat(result.data().getBoolean("isError")).isFalse();
    assertThat(events.indexOf(call)).isLessThan(events.indexOf(result));

    List<OpenAiCompatibleServer.Recorded> requests = provider.requests().stream()
        .filter(r -> r.lastUserText().equals("Please multiply six by seven.")).toList();
    assertThat(requests).hasSize(2);
    assertThat(requests.get(0).body().getJsonArray("tools")).extracting(t -> ((JsonObject) t)
        .getJsonObject("function").getString("name")).containsExactlyInAnyOrder("current_time", "calculator");
    JsonArray followUp = requests.get(1).messages();
    JsonObject assistant = followUp.getJsonObject(followUp.size() - 2);
    assertThat(assistant.getString("role")).isEqualTo("assistant");
    JsonObject requested = assistant.getJsonArray("tool_calls").getJsonObject(0);
    assertThat(requested.getString("id")).isEqualTo("call_mul");
    assertThat(new JsonObject(requested.getJsonObject("function").getString("arguments")))
        .isEqualTo(new JsonObject().put("expression", "6 * 7"));
    JsonObject toolMessage = followUp.getJsonObject(followUp.size() - 1);
    assertThat(toolMessage.getString("role")).isEqualTo("tool");
    assertThat(toolMessage.getString("tool_call_id")).isEqualTo("call_mul");
    assertThat(toolMessage.getString("content")).isEqualTo("42");
  }

  @Test
  void anUnknownToolAndUnparseableArgumentsBecomeErrorResultsAndTheModelContinues() {
    List<SseClient.Event> events = answer(openAi, "tools-broken", "Try the broken tools.");
    assertCompleteAnswer(events, "tools-broken", events.get(0).data().getString("messageId"), TokenrailStack.PARTITIONS);
    List<SseClient.Event> results = events.stream().filter(e -> e.type().equals("tool_result")).toList();
    assertThat(results).extracting(e -> e.data().getString("toolCallId")).containsExactly("call_w", "call_x");
    assertThat(results).allSatisfy(e -> assertThat(e.data().getBoolean("isError")).isTrue());
    assertThat(results.get(0).data().getString("result")).contains("no tool named 'weather'");
    assertThat(results.get(1).data().getString("result")).contains("not a JSON object");
    assertThat(events.get(events.size() - 1).data().getString("text")).startsWith("Tools said:");
  }

  @Test
  void aModelThatKeepsCallingToolsIsOfferedNoneAfterTheLastRound() {
    List<SseClient.Event> events = answer(openAi, "tools-loop", "loop forever");
    assertCompleteAnswer(events, "tools-loop", events.get(0).data().getString("messageId"), TokenrailStack.PARTITIONS);
    assertThat(events).filteredOn(e -> e.type().equals("tool_call")).hasSize(MAX_TOOL_ROUNDS);
    List<OpenAiCompatibleServer.Recorded> requests = provider.requests().stream()
        .filter(r -> r.lastUserText().equals("loop forever")).toList();
    assertThat(requests).hasSize(MAX_TOOL_ROUNDS + 1);
    assertThat(requests.get(MAX_TOOL_ROUNDS).body().containsKey("tools")).isFalse();
    assertThat(events.get(events.size() - 1).data().getString("text")).isEqualTo("No tools needed.");
  }

  @Test
  void theDemoModelCallsTheCalculatorAndStatesTheResult() {
    List<SseClient.Event> events = answer(demo, "tools-demo-calc", "calculate (2 + 3) * 4 ^ 2");
    String text = assertCompleteAnswer(events, "tools-demo-calc", events.get(0).data().getString("messageId"),
        TokenrailStack.PARTITIONS);
    SseClient.Event call = only(events, "tool_call");
    assertThat(call.data().getString("name")).isEqualTo("calculator");
    assertThat(new JsonObject(call.data().getString("arguments")).getString("expression")).isEqualTo("(2 + 3) * 4 ^ 2");
    assertThat(only(events, "tool_result").data().getString("result")).isEqualTo("80");
    assertThat(text).isEqualTo("The calculator says the result is 80.");
  }

  @Test
  void theDemoModelTellsTheTimeInTheZoneAsked() {
    List<SseClient.Event> events = answer(demo, "tools-demo-time", "What time is it in Asia/Tokyo?");
    String text = assertCompleteAnswer(events, "tools-demo-time", events.get(0).data().getString("messageId"),
        TokenrailStack.PARTITIONS);
    SseClient.Event call = only(events, "tool_call");
    assertThat(call.data().getString("name")).isEqualTo("current_time");
    assertThat(new JsonObject(call.data().getString("arguments")).getString("timezone")).isEqualTo("Asia/Tokyo");
    String time = only(events, "tool_result").data().getString("result");
    assertThat(time).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+09:00\\[Asia/Tokyo]");
    assertThat(text).isEqualTo("The current time is " + time + ".");
  }

  @Test
  void aDemoCalculationItCannotDoIsAnErrorResultItReports() {
    List<SseClient.Event> events = answer(demo, "tools-demo-bad", "calculate 1 / 0");
    String text = assertCompleteAnswer(events, "tools-demo-bad", events.get(0).data().getString("messageId"),
        TokenrailStack.PARTITIONS);
    assertThat(only(events, "tool_result").data().getBoolean("isError")).isTrue();
    assertThat(text).startsWith("The calculator tool could not help:").contains("Division by zero");
  }

  private static List<SseClient.Event> answer(TokenrailStack stack, String conversation, String text) {
    try (SseClient client = SseClient.connect(stack.baseUrl() + "/api/conversations/" + conversation + "/events")) {
      Http.postMessage(stack.baseUrl(), conversation, text);
      return client.awaitTerminal(PATIENCE);
    }
  }

  private static SseClient.Event only(List<SseClient.Event> events, String type) {
    List<SseClient.Event> matching = events.stream().filter(e -> e.type().equals(type)).toList();
    assertThat(matching).as("%s events", type).hasSize(1);
    return matching.get(0);
  }
}
