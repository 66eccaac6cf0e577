package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessage;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.WorkerVerticle;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tools the client defines and runs itself, and a model's reasoning, through the whole pipeline: the worker
 * calls the test's OpenAI-compatible model server with langchain4j, which sees the client's tools beside the
 * worker's and is sent the client's results as tool messages. Checked at both ends: what the client reads,
 * and what the model was sent.
 */
@ExtendWith(SharedKafka.class)
class ClientToolsTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final String WEATHER_ARGUMENTS = "{\"city\":\"Oslo\",\"unit\":\"celsius\",\"days\":[1,2,3]}";
  private static OpenAiCompatibleServer model;
  private static TokenrailStack stack;
  private static OpenAIClient client;

  @BeforeAll
  static void start() {
    // The model: tool results in → words about them; "weather" → a call of the client's get_weather;
    // "#reason" → reasoning, then the answer.
    model = OpenAiCompatibleServer.answering(request -> request.lastRole().equals("tool")
        ? new OpenAiCompatibleServer.Script.Stream(List.of("It is", " sunny", " in Oslo."), 1)
        : request.lastUserText().contains("both") ? new OpenAiCompatibleServer.Script.CallTools(List.of(
            new OpenAiCompatibleServer.ToolCall("call_c1", "calculator", "{\"expression\":\"6*7\"}"),
            new OpenAiCompatibleServer.ToolCall("call_w2", "get_weather", "{\"city\":\"Bergen\"}")))
        : request.lastUserText().contains("weather") ? new OpenAiCompatibleServer.Script.CallTools(List.of(
            new OpenAiCompatibleServer.ToolCall("call_w1", "get_weather", WEATHER_ARGUMENTS)))
        : request.lastUserText().contains("#reason") ? new OpenAiCompatibleServer.Script.Reason(
            List.of("The user", " wants", " a plan."), List.of("Here", " is", " the plan."))
        : new OpenAiCompatibleServer.Script.Stream(List.of("Fine", " thanks."), 1));
    stack = TokenrailStack.start((java.util.function.Function<dev.tokenrail.runtime.KafkaSettings, WorkerConfig>) null, 1);
    client = OpenAIOkHttpClient.builder().baseUrl(stack.baseUrl() + "/v1").apiKey("unused").maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    stack.close();
    model.close();
  }

  private static WorkerConfig workerConfig() {
    return WorkerConfig.of(stack.kafka(), ModelSettings.openAi(model.baseUrl(), "sk-provider-key", "test-model"), 1_000)
        .withDrainTimeout(Duration.ZERO);
  }

  /**
   * The agent loop an OpenAI SDK user writes: stream a completion with their tool, put the streamed call
   * together with the SDK's accumulator, run the tool, send the result, read the final answer.
   */
  @Test
  void anOpenAiSdkAgentLoopRunsTheClientsToolAndReadsTheFinalAnswer() {
    Vertx worker = deployWorker();
    try {
      ChatCompletionFunctionTool weather = ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder()
          .name("get_weather").description("The weather for a city")
          .parameters(FunctionParameters.builder()
              .putAdditionalProperty("type", JsonValue.from("object"))
              .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"),
                  "unit", Map.of("type", "string", "enum", List.of("celsius", "fahrenheit")),
                  "days", Map.of("type", "array", "items", Map.of("type", "integer")))))
              .putAdditionalProperty("required", JsonValue.from(List.of("city")))
              .build())
          .build()).build();
      ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder().model("test-model")
          .addTool(weather).addUserMessage("What is the weather in Oslo?");

      ChatCompletionAccumulator first = ChatCompletionAccumulator.create();
      int argumentPieces = 0;
      try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params.build())) {
        for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
          first.accumulate(chunk);
          argumentPieces += (int) chunk.choices().stream().flatMap(c -> c.delta().toolCalls().stream().flatMap(List::stream))
              .filter(t -> t.function().flatMap(f -> f.arguments()).filter(a -> !a.isEmpty()).isPresent()).count();
        }
      }
      ChatCompletion.Choice choice = first.chatCompletion().choices().get(0);
      assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
      ChatCompletionMessage message = choice.message();
      assertThat(message.toolCalls().orElseThrow()).hasSize(1);
      ChatCompletionMessageFunctionToolCall call = message.toolCalls().get().get(0).asFunction();
      assertThat(call.id()).isEqualTo("call_w1");
      assertThat(call.function().name()).isEqualTo("get_weather");
      assertThat(argumentPieces).as("the arguments came in pieces").isGreaterThan(1);
      assertThat(new JsonObject(call.function().arguments())).isEqualTo(new JsonObject(WEATHER_ARGUMENTS));

      // The model was offered the client's tool, its schema as sent, beside the worker's own.
      JsonArray offered = model.requests().get(model.requests().size() - 1).body().getJsonArray("tools");
      JsonObject function = offered.stream().map(t -> ((JsonObject) t).getJsonObject("function"))
          .filter(f -> f.getString("name").equals("get_weather")).findFirst().orElseThrow();
      assertThat(function.getJsonObject("parameters").getJsonObject("properties").getJsonObject("unit")
          .getJsonArray("enum")).containsExactly("celsius", "fahrenheit");
      assertThat(function.getJsonObject("parameters").getJsonArray("required")).containsExactly("city");
      assertThat(offered.stream().map(t -> ((JsonObject) t).getJsonObject("function").getString("name")))
          .contains("calculator", "current_time");

      String result = "{\"temperature\":21,\"sky\":\"sunny\"}"; // the client runs its tool
      params.addMessage(message).addMessage(ChatCompletionToolMessageParam.builder().toolCallId(call.id())
          .content(result).build());
      ChatCompletion answer = client.chat().completions().create(params.build());
      assertThat(answer.choices().get(0).message().content()).contains("It is sunny in Oslo.");
      assertThat(answer.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);

      JsonArray sent = model.requests().get(model.requests().size() - 1).messages();
      JsonObject assistant = sent.getJsonObject(sent.size() - 2);
      assertThat(assistant.getString("role")).isEqualTo("assistant");
      JsonObject sentCall = assistant.getJsonArray("tool_calls").getJsonObject(0);
      assertThat(sentCall.getString("id")).isEqualTo("call_w1");
      assertThat(sentCall.getJsonObject("function").getString("name")).isEqualTo("get_weather");
      assertThat(new JsonObject(sentCall.getJsonObject("function").getString("arguments"))).isEqualTo(new JsonObject(WEATHER_ARGUMENTS));
      JsonObject tool = sent.getJsonObject(sent.size() - 1);
      assertThat(tool.getString("role")).isEqualTo("tool");
      assertThat(tool.getString("tool_call_id")).isEqualTo("call_w1");
      assertThat(tool.getString("content")).isEqualTo(result);
    } finally {
      TokenrailStack.await(worker.close());
    }
  }

  /**
   * The Responses API's agent loop: the model's call of the client's function streams as a
   * {@code function_call} item with its argument events, the response completes with it, and the next
   * request — {@code previous_response_id} and a {@code function_call_output} — gets the answer, from a prompt
   * that has the call and its output in place.
   */
  @Test
  void aResponsesClientRunsItsFunctionCallAndContinuesWithPreviousResponseId() {
    Vertx worker = deployWorker();
    try {
      com.openai.models.responses.FunctionTool weather = com.openai.models.responses.FunctionTool.builder()
          .name("get_weather").description("The weather for a city").strict(false)
          .parameters(com.openai.models.responses.FunctionTool.Parameters.builder()
              .putAdditionalProperty("type", JsonValue.from("object"))
              .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
              .build())
          .build();
      List<com.openai.models.responses.ResponseStreamEvent> events = new java.util.ArrayList<>();
      try (StreamResponse<com.openai.models.responses.ResponseStreamEvent> stream = client.responses().createStreaming(
          com.openai.models.responses.ResponseCreateParams.builder().model("test-model")
              .input("What is the weather in Oslo?").addTool(weather).build())) {
        stream.stream().forEach(events::add);
      }
      com.openai.models.responses.Response first = events.get(events.size() - 1).completed().orElseThrow().response();
      assertThat(first.output()).as("the call alone: no message").hasSize(1);
      var call = first.output().get(0).functionCall().orElseThrow();
      assertThat(call.callId()).isEqualTo("call_w1");
      assertThat(call.name()).isEqualTo("get_weather");
      assertThat(new JsonObject(call.arguments())).isEqualTo(new JsonObject(WEATHER_ARGUMENTS));
      assertThat(events.stream().flatMap(e -> e.functionCallArgumentsDelta().stream()).map(d -> d.delta())
          .collect(Collectors.joining())).isEqualTo(call.arguments());
      assertThat(events.stream().flatMap(e -> e.functionCallArgumentsDone().stream()).map(d -> d.arguments()).toList())
          .containsExactly(call.arguments());
      assertThat(first.tools()).singleElement().satisfies(t -> assertThat(t.function().orElseThrow().name())
          .isEqualTo("get_weather"));
      com.openai.models.responses.Response read = client.responses().retrieve(first.id());
      assertThat(read.output()).as("read back as it streamed").hasSize(1);
      assertThat(read.output().get(0).functionCall().orElseThrow().callId()).isEqualTo("call_w1");

      com.openai.models.responses.Response second = client.responses().create(
          com.openai.models.responses.ResponseCreateParams.builder().model("test-model").previousResponseId(first.id())
              .addTool(weather)
              .inputOfResponse(List.of(com.openai.models.responses.ResponseInputItem.ofFunctionCallOutput(
                  com.openai.models.responses.ResponseInputItem.FunctionCallOutput.builder().callId(call.callId())
                      .output("{\"temperature\":21,\"sky\":\"sunny\"}").build())))
              .build());
      assertThat(second.output().stream().flatMap(i -> i.message().stream()).flatMap(m -> m.content().stream())
          .flatMap(c -> c.outputText().stream()).map(t -> t.text()).collect(Collectors.joining()))
          .isEqualTo("It is sunny in Oslo.");
      JsonArray sent = lastRequestMessages();
      assertThat(roles(sent)).containsExactly("user", "assistant", "tool");
      assertThat(sent.getJsonObject(1).getJsonArray("tool_calls").getJsonObject(0).getString("id")).isEqualTo("call_w1");
      assertThat(sent.getJsonObject(2).getString("content")).isEqualTo("{\"temperature\":21,\"sky\":\"sunny\"}");
      var inputs = client.responses().inputItems().list(second.id()).data();
      assertThat(inputs).singleElement().satisfies(i -> assertThat(i.functionCallOutput().orElseThrow().callId().orElseThrow())
          .isEqualTo("call_w1"));
    } finally {
      TokenrailStack.await(worker.close());
    }
  }

  /**
   * On Tokenrail's own API the worker's memory holds the conversation: the answer that ended with the
   * client's call is remembered, and the next message brings only the result — answered by another worker
   * after the first one went away, whose prompt has the call and its result in place, then the next question.
   */
  @Test
  void aClientToolCallInMemoryIsAnsweredRightByTheWorkerThatTakesOver() throws Exception {
    String conversation = "client-tools-" + UUID.randomUUID().toString().substring(0, 8);
    JsonObject tools = new JsonObject().put("tools", new JsonArray().add(new JsonObject().put("type", "function")
        .put("name", "get_weather").put("description", "The weather for a city").put("parameters", new JsonObject()
            .put("type", "object").put("properties", new JsonObject().put("city", new JsonObject().put("type", "string"))))));
    Vertx first = deployWorker();
    String callId;
    try (SseClient events = SseClient.connect(eventsUrl(conversation))) {
      String messageId = post(conversation, tools.copy().put("text", "What is the weather in Oslo?"));
      List<SseClient.Event> answer = events.awaitTerminal(PATIENCE);
      assertCompleteAnswer(answer, conversation, messageId, TokenrailStack.PARTITIONS);
      SseClient.Event call = answer.stream().filter(e -> e.type().equals("tool_call")).findFirst().orElseThrow();
      assertThat(call.data().getBoolean("client")).isTrue();
      assertThat(call.data().getString("name")).isEqualTo("get_weather");
      assertThat(answer.get(answer.size() - 1).data().getString("finishReason")).isEqualTo("tool_calls");
      assertThat(answer).noneMatch(e -> e.type().equals("tool_result"));
      callId = call.data().getString("toolCallId");
    } finally {
      TokenrailStack.await(first.close()); // the worker that made the call is gone
    }
    Vertx second = deployWorker();
    try (SseClient events = SseClient.connect(eventsUrl(conversation))) {
      String messageId = post(conversation, tools.copy().put("toolResults", new JsonArray().add(new JsonObject()
          .put("toolCallId", callId).put("result", new JsonObject().put("temperature", 21).put("sky", "sunny")))));
      String text = assertCompleteAnswer(events.awaitTerminal(PATIENCE), conversation, messageId, TokenrailStack.PARTITIONS);
      assertThat(text).isEqualTo("It is sunny in Oslo.");
      JsonArray sent = lastRequestMessages();
      assertThat(roles(sent)).containsExactly("user", "assistant", "tool");
      assertThat(sent.getJsonObject(0).getString("content")).isEqualTo("What is the weather in Oslo?");
      JsonObject sentCall = sent.getJsonObject(1).getJsonArray("tool_calls").getJsonObject(0);
      assertThat(sentCall.getString("id")).isEqualTo(callId);
      assertThat(sentCall.getJsonObject("function").getString("name")).isEqualTo("get_weather");
      assertThat(sent.getJsonObject(2).getString("tool_call_id")).isEqualTo(callId);
      assertThat(new JsonObject(sent.getJsonObject(2).getString("content")))
          .isEqualTo(new JsonObject().put("temperature", 21).put("sky", "sunny"));

      String next = post(conversation, new JsonObject().put("text", "And tomorrow?"));
      assertCompleteAnswer(events.awaitEvent(e -> e.type().equals("done") && next.equals(e.data().getString("messageId")),
          PATIENCE), conversation, next, TokenrailStack.PARTITIONS);
      assertThat(roles(lastRequestMessages())).containsExactly("user", "assistant", "tool", "assistant", "user");
      assertThat(lastRequestMessages().getJsonObject(3).getString("content")).isEqualTo("It is sunny in Oslo.");
    } finally {
      TokenrailStack.await(second.close());
    }
    JsonArray transcript = Http.get(stack.baseUrl() + "/api/conversations/" + conversation).json().getJsonArray("messages");
    assertThat(transcript).hasSize(6);
    assertThat(transcript.getJsonObject(1).getJsonArray("toolCalls").getJsonObject(0).getBoolean("client")).isTrue();
    JsonObject brought = transcript.getJsonObject(2).getJsonArray("toolResults").getJsonObject(0);
    assertThat(brought.getString("toolCallId")).isEqualTo(callId);
    assertThat(brought.getString("name")).as("named after the call it answers").isEqualTo("get_weather");
    assertThat(transcript.getJsonObject(3).getString("text")).isEqualTo("It is sunny in Oslo.");
  }

  /**
   * The model calls the worker's calculator and the client's tool at once: the worker runs its own, publishes
   * its result, and ends the answer with the client's call; the client's result then follows both calls in the
   * prompt, which answers each of them.
   */
  @Test
  void aRoundWithTheWorkersToolAndTheClientsRunsTheOneAndEndsWithTheOther() throws Exception {
    Vertx worker = deployWorker();
    String conversation = "mixed-" + UUID.randomUUID().toString().substring(0, 8);
    JsonObject tools = new JsonObject().put("tools", new JsonArray().add(new JsonObject().put("name", "get_weather")));
    try (SseClient events = SseClient.connect(eventsUrl(conversation))) {
      String first = post(conversation, tools.copy().put("text", "both: 6*7 and the weather in Bergen"));
      List<SseClient.Event> answer = events.awaitTerminal(PATIENCE);
      assertCompleteAnswer(answer, conversation, first, TokenrailStack.PARTITIONS);
      assertThat(answer.stream().map(e -> e.type() + (e.data().getBoolean("client", false) ? "(client)" : "")).toList())
          .containsSubsequence("tool_call", "tool_call(client)", "tool_result", "done");
      assertThat(answer.stream().filter(e -> e.type().equals("tool_result")).findFirst().orElseThrow().data()
          .getString("result")).isEqualTo("42");

      String second = post(conversation, tools.copy().put("toolResults", new JsonArray().add(new JsonObject()
          .put("toolCallId", "call_w2").put("result", "rain"))));
      assertThat(assertCompleteAnswer(events.awaitEvent(e -> e.type().equals("done")
          && second.equals(e.data().getString("messageId")), PATIENCE).stream()
          .filter(e -> second.equals(e.data().getString("messageId"))).toList(), conversation, second,
          TokenrailStack.PARTITIONS)).isEqualTo("It is sunny in Oslo.");
      JsonArray sent = lastRequestMessages();
      assertThat(roles(sent)).containsExactly("user", "assistant", "tool", "tool");
      assertThat(sent.getJsonObject(1).getJsonArray("tool_calls").stream().map(c -> ((JsonObject) c).getString("id")))
          .containsExactly("call_c1", "call_w2");
      assertThat(sent.getJsonObject(2).getString("tool_call_id")).isEqualTo("call_c1");
      assertThat(sent.getJsonObject(2).getString("content")).isEqualTo("42");
      assertThat(sent.getJsonObject(3).getString("tool_call_id")).isEqualTo("call_w2");
      assertThat(sent.getJsonObject(3).getString("content")).isEqualTo("rain");
    } finally {
      TokenrailStack.await(worker.close());
    }
  }

  /**
   * A reasoning model's {@code reasoning_content} reaches the native stream as {@code reasoning} events and
   * {@code /v1} as {@code reasoning_content} deltas, and never the answer's text — nor the next prompt.
   */
  @Test
  void reasoningStreamsApartFromTheAnswerAndStaysOutOfMemory() throws Exception {
    Vertx worker = deployWorker();
    try {
      String conversation = "reasoning-" + UUID.randomUUID().toString().substring(0, 8);
      try (SseClient events = SseClient.connect(eventsUrl(conversation))) {
        String messageId = Http.postMessage(stack.baseUrl(), conversation, "#reason make a plan");
        List<SseClient.Event> answer = events.awaitTerminal(PATIENCE);
        String text = assertCompleteAnswer(answer, conversation, messageId, TokenrailStack.PARTITIONS);
        assertThat(text).isEqualTo("Here is the plan.");
        assertThat(answer.stream().filter(e -> e.type().equals("reasoning")).map(e -> e.data().getString("text"))
            .collect(Collectors.joining())).isEqualTo("The user wants a plan.");
        assertThat(answer.stream().map(SseClient.Event::type).toList().lastIndexOf("reasoning"))
            .as("the thinking comes before the answer").isLessThan(answer.stream().map(SseClient.Event::type).toList()
                .indexOf("token"));
        String next = Http.postMessage(stack.baseUrl(), conversation, "thanks");
        events.awaitEvent(e -> e.type().equals("done") && next.equals(e.data().getString("messageId")), PATIENCE);
        assertThat(lastRequestMessages().encode()).contains("Here is the plan.").doesNotContain("wants a plan");
      }

      ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("test-model")
          .addUserMessage("#reason make a plan").build();
      StringBuilder reasoning = new StringBuilder();
      StringBuilder content = new StringBuilder();
      try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
        stream.stream().flatMap(c -> c.choices().stream()).forEach(c -> {
          JsonValue r = c.delta()._additionalProperties().get("reasoning_content");
          if (r != null) {
            r.asString().ifPresent(reasoning::append);
          }
          c.delta().content().ifPresent(content::append);
        });
      }
      assertThat(reasoning.toString()).isEqualTo("The user wants a plan.");
      assertThat(content.toString()).isEqualTo("Here is the plan.");
      ChatCompletionMessage whole = client.chat().completions().create(params).choices().get(0).message();
      assertThat(whole.content()).contains("Here is the plan.");
      assertThat(whole._additionalProperties().get("reasoning_content").asString()).contains("The user wants a plan.");
    } finally {
      TokenrailStack.await(worker.close());
    }
  }

  /**
   * {@code tool_choice} as the provider receives it: a named function is offered alone and required; {@code none}
   * offers none of the client's tools (the worker's own still are).
   */
  @Test
  void toolChoiceReachesTheModel() {
    Vertx worker = deployWorker();
    try {
      JsonObject weather = new JsonObject().put("type", "function").put("function", new JsonObject()
          .put("name", "get_weather").put("parameters", new JsonObject().put("type", "object")));
      Http.Response named = Http.postJson(stack.baseUrl() + "/v1/chat/completions", new JsonObject().put("model", "m")
          .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "weather?")))
          .put("tools", new JsonArray().add(weather))
          .put("tool_choice", new JsonObject().put("type", "function").put("function", new JsonObject().put("name", "get_weather")))
          .encode());
      assertThat(named.status()).isEqualTo(200);
      JsonObject sent = model.requests().get(model.requests().size() - 1).body();
      assertThat(sent.getValue("tool_choice")).isEqualTo("required");
      assertThat(sent.getJsonArray("tools").stream().map(t -> ((JsonObject) t).getJsonObject("function").getString("name")))
          .containsExactly("get_weather");

      Http.Response none = Http.postJson(stack.baseUrl() + "/v1/chat/completions", new JsonObject().put("model", "m")
          .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hello")))
          .put("tools", new JsonArray().add(weather)).put("tool_choice", "none").encode());
      assertThat(none.status()).isEqualTo(200);
      JsonObject unoffered = model.requests().get(model.requests().size() - 1).body();
      assertThat(unoffered.getJsonArray("tools").stream().map(t -> ((JsonObject) t).getJsonObject("function")
          .getString("name"))).doesNotContain("get_weather").contains("calculator");
    } finally {
      TokenrailStack.await(worker.close());
    }
  }

  /** Malformed tools and results are refused with a 400 saying what is wrong, and nothing is stored. */
  @Test
  void badToolsAndResultsAreRefusedAndStoreNothing() {
    ChatCompletionCreateParams unanswered = ChatCompletionCreateParams.builder().model("test-model")
        .addUserMessage("weather?")
        .addMessage(ChatCompletionMessage.builder().content("").refusal(java.util.Optional.empty())
            .addToolCall(ChatCompletionMessageFunctionToolCall.builder().id("call_x")
                .function(ChatCompletionMessageFunctionToolCall.Function.builder().name("get_weather").arguments("{}").build())
                .build()).build())
        .addUserMessage("never mind").build();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.chat().completions().create(unanswered))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("call_x");

    String conversation = "bad-tools-" + UUID.randomUUID().toString().substring(0, 8);
    String url = stack.baseUrl() + "/api/conversations/" + conversation + "/messages";
    for (String body : List.of(
        "{\"text\":\"hi\",\"tools\":{}}",
        "{\"text\":\"hi\",\"tools\":[{\"type\":\"function\",\"name\":\"has space\"}]}",
        "{\"text\":\"hi\",\"tools\":[{\"name\":\"a\"},{\"name\":\"a\"}]}",
        "{\"text\":\"hi\",\"tools\":[{\"name\":\"a\",\"parameters\":{\"type\":\"string\"}}]}",
        "{\"text\":\"hi\",\"tools\":[{\"name\":\"a\"}],\"toolChoice\":{\"type\":\"function\",\"name\":\"b\"}}",
        "{\"toolResults\":[{\"result\":\"no id\"}]}",
        "{\"toolResults\":\"x\"}",
        "{\"tools\":[{\"name\":\"a\"}]}")) {
      Http.Response refused = Http.postJson(url, body);
      assertThat(refused.status()).as(body).isEqualTo(400);
      assertThat(refused.json().getJsonObject("error").getString("message")).as(body).isNotBlank();
    }
    assertThat(Http.get(stack.baseUrl() + "/api/conversations/" + conversation).status()).isEqualTo(404);
  }

  /** Results that answer no call of the last answer, and no text: the answer says so and ends, as an error. */
  @Test
  void resultsThatAnswerNoCallEndTheAnswerWithAnError() throws Exception {
    Vertx worker = deployWorker();
    String conversation = "stray-results-" + UUID.randomUUID().toString().substring(0, 8);
    try (SseClient events = SseClient.connect(eventsUrl(conversation))) {
      Http.postMessage(stack.baseUrl(), conversation, "hello");
      events.awaitTerminal(PATIENCE);
      Http.Response posted = Http.postJson(stack.baseUrl() + "/api/conversations/" + conversation + "/messages",
          "{\"toolResults\":[{\"toolCallId\":\"call_never_made\",\"result\":\"42\"}]}");
      assertThat(posted.status()).isEqualTo(202);
      String messageId = posted.json().getString("messageId");
      List<SseClient.Event> ended = events.awaitEvent(e -> messageId.equals(e.data().getString("messageId"))
          && e.type().equals("error"), PATIENCE);
      JsonObject error = ended.get(ended.size() - 1).data();
      assertThat(error.getString("code")).isEqualTo("invalid_request");
      assertThat(error.getString("message")).contains("answer no call");
    } finally {
      TokenrailStack.await(worker.close());
    }
  }

  private static Vertx deployWorker() {
    Vertx vertx = Vertx.vertx();
    TokenrailStack.await(vertx.deployVerticle(new WorkerVerticle(workerConfig())));
    return vertx;
  }

  private static String post(String conversation, JsonObject body) {
    Http.Response r = Http.postJson(stack.baseUrl() + "/api/conversations/" + conversation + "/messages", body.encode());
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().getString("messageId");
  }

  private static String eventsUrl(String conversation) {
    return stack.baseUrl() + "/api/conversations/" + conversation + "/events";
  }

  private static JsonArray lastRequestMessages() {
    return model.requests().get(model.requests().size() - 1).messages();
  }

  private static List<String> roles(JsonArray messages) {
    return messages.stream().map(m -> ((JsonObject) m).getString("role")).toList();
  }
}
