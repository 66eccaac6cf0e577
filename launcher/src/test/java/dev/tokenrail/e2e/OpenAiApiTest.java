package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.models.Model;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code /v1/chat/completions} with the official OpenAI Java SDK (com.openai:openai-java), only its base
 * URL changed and a Tokenrail token as its API key — through the gateway, Kafka and a worker that calls
 * the model with langchain4j's OpenAI client (against the test's OpenAI-compatible server).
 */
@ExtendWith(SharedKafka.class)
class OpenAiApiTest {

  private static final List<String> TOKENS = List.of("Kafka", " keeps", " every", " token", " in", " order", ".");
  private static final String ANSWER = String.join("", TOKENS);
  private static OpenAiCompatibleServer model;
  private static TokenrailStack stack;
  private static String base;
  private static String token;
  private static OpenAIClient client;
  private static String gatewayDeployment;

  @BeforeAll
  static void start() {
    model = new OpenAiCompatibleServer(prompt -> prompt.contains("fail-400")
        ? new OpenAiCompatibleServer.Script.Fail(400, "{\"error\":{\"message\":\"provider detail\"}}")
        : prompt.contains("stall") ? new OpenAiCompatibleServer.Script.Stall(List.of("Half", " an", " answer"))
        : new OpenAiCompatibleServer.Script.Stream(TOKENS, 2));
    stack = TokenrailStack.start((java.util.function.Function<dev.tokenrail.runtime.KafkaSettings, WorkerConfig>) kafka ->
        WorkerConfig.of(kafka, ModelSettings.openAi(model.baseUrl(), "sk-provider-key", "test-model"), 1_000)
            .withDrainTimeout(Duration.ZERO), 0);
    GatewayVerticle gateway = TokenrailStack.startGateway(stack.vertx(), TokenrailStack.gatewayConfig(stack.kafka())
        .withAuth(TestTokens.SETTINGS).withModelName("openai:test-model"));
    base = "http://localhost:" + gateway.actualPort();
    gatewayDeployment = gateway.deploymentID();
    token = new TestTokens(stack.vertx()).forSubject("sdk-user");
    client = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey(token).maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    stack.close();
    model.close();
  }

  @Test
  void streamingChunksReassembleTheAnswerAndEndWithUsage() {
    ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
        .model("openai:test-model")
        .addUserMessage("What does Kafka keep? (streaming)")
        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
        .build();
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
      stream.stream().forEach(chunks::add);
    }
    String text = chunks.stream().flatMap(c -> c.choices().stream())
        .map(choice -> choice.delta().content().orElse("")).collect(Collectors.joining());
    assertThat(text).isEqualTo(ANSWER);
    assertThat(chunks.stream().flatMap(c -> c.choices().stream()).filter(c -> !c.delta().content().orElse("").isEmpty()))
        .as("one chunk per token, in order").extracting(c -> c.delta().content().orElseThrow())
        .containsExactlyElementsOf(TOKENS);
    assertThat(chunks).extracting(ChatCompletionChunk::id).containsOnly(chunks.get(0).id());
    assertThat(chunks.get(0).choices().get(0).delta().role()).isPresent();
    assertThat(chunks.stream().flatMap(c -> c.choices().stream()).filter(c -> c.finishReason().isPresent()))
        .singleElement().satisfies(c -> assertThat(c.finishReason().orElseThrow().asString()).isEqualTo("stop"));
    CompletionUsage usage = chunks.get(chunks.size() - 1).usage().orElseThrow();
    assertThat(usage.completionTokens()).isEqualTo(TOKENS.size());
    assertThat(usage.promptTokens()).isEqualTo(9);
  }

  @Test
  void aNonStreamingCompletionCarriesHistoryAndSettingsToTheModel() {
    ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
        .model("openai:test-model")
        .addSystemMessage("Answer in one sentence.")
        .addUserMessage("Hello")
        .addAssistantMessage("Hi! Ask me about Kafka.")
        .addUserMessage("What does Kafka keep? (whole)")
        .temperature(0.25)
        .maxCompletionTokens(64)
        .build();
    ChatCompletion completion = client.chat().completions().create(params);
    assertThat(completion.choices()).singleElement().satisfies(choice -> {
      assertThat(choice.message().content()).contains(ANSWER);
      assertThat(choice.finishReason().asString()).isEqualTo("stop");
    });
    assertThat(completion.model()).isEqualTo("openai:test-model");
    assertThat(completion.usage().orElseThrow().totalTokens()).isEqualTo(9 + TOKENS.size());

    OpenAiCompatibleServer.Recorded sent = model.requests().stream()
        .filter(r -> r.lastUserText().equals("What does Kafka keep? (whole)")).findFirst().orElseThrow();
    assertThat(sent.messages().stream().map(m -> ((JsonObject) m).getString("role") + ":" + ((JsonObject) m).getString("content")))
        .containsExactly("system:Answer in one sentence.", "user:Hello", "assistant:Hi! Ask me about Kafka.",
            "user:What does Kafka keep? (whole)");
    assertThat(sent.body().getDouble("temperature")).isEqualTo(0.25);
    assertThat(sent.body().getInteger("max_tokens", sent.body().getInteger("max_completion_tokens"))).isEqualTo(64);
    assertThat(sent.authorization()).as("the provider's key, not the user's token").isEqualTo("Bearer sk-provider-key");
  }

  @Test
  void modelsListTheWorkersModel() {
    assertThat(client.models().list().data()).extracting(Model::id).containsExactly("openai:test-model");
  }

  @Test
  void errorsComeInOpenAisShapeAndTheSdkRaisesItsExceptions() {
    OpenAIClient stranger = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey("not-a-token").maxRetries(0).build();
    ChatCompletionCreateParams hello = ChatCompletionCreateParams.builder().model("m").addUserMessage("hi").build();
    assertThatThrownBy(() -> stranger.chat().completions().create(hello)).isInstanceOf(UnauthorizedException.class);
    stranger.close();

    ChatCompletionCreateParams endsWithAssistant = ChatCompletionCreateParams.builder().model("m")
        .addUserMessage("hi").addAssistantMessage("hello").build();
    assertThatThrownBy(() -> client.chat().completions().create(endsWithAssistant))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("last message");

    Http.Response raw = post(new JsonObject().put("model", "m").put("messages", new JsonArray()), null, null);
    assertThat(raw.status()).isEqualTo(400);
    JsonObject error = raw.json().getJsonObject("error");
    assertThat(error.getString("type")).isEqualTo("invalid_request_error");
    assertThat(error.getString("code")).isEqualTo("invalid_messages");
    assertThat(error.containsKey("param")).isTrue();

    // The provider refuses: the SDK gets a 400 in OpenAI's shape, without the provider's text.
    assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder().model("m")
        .addUserMessage("please fail-400").build()))
        .isInstanceOf(BadRequestException.class).hasMessageNotContaining("provider detail");
  }

  /**
   * Every chunk has the SSE id of its event: a client cut off after the third chunk POSTs again with that
   * id as {@code Last-Event-ID} and gets exactly the chunks after it — nothing repeated, nothing missing.
   * The answer went through the conversation, whose transcript has it.
   */
  @Test
  void aStreamResumesAfterItsLastEventIdAndTheTurnIsInTheTranscript() {
    JsonObject request = new JsonObject().put("model", "m").put("stream", true)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Resume me")));
    Http.Response whole = post(request, null, null);
    assertThat(whole.status()).isEqualTo(200);
    assertThat(whole.contentType()).startsWith("text/event-stream");
    String conversation = whole.header("X-Conversation-Id");
    List<Frame> frames = frames(whole.body());
    assertThat(frames.get(frames.size() - 1).data()).isEqualTo("[DONE]");
    List<Frame> chunks = frames.stream().filter(f -> f.id() != null).toList();
    assertThat(content(chunks)).isEqualTo(ANSWER);

    Frame cut = chunks.get(2);
    Http.Response rest = post(request, cut.id(), conversation);
    assertThat(rest.status()).isEqualTo(200);
    List<Frame> resumed = frames(rest.body()).stream().filter(f -> f.id() != null).toList();
    assertThat(resumed).extracting(Frame::id).containsExactlyElementsOf(
        chunks.subList(3, chunks.size()).stream().map(Frame::id).toList());
    assertThat(content(chunks.subList(0, 3)) + content(resumed)).isEqualTo(ANSWER);

    Http.Response transcript = Http.send(HttpRequest.newBuilder(URI.create(base + "/api/conversations/" + conversation))
        .header("Authorization", "Bearer " + token).build());
    assertThat(transcript.json().getJsonArray("messages").encode()).contains("Resume me").contains(ANSWER);
  }

  /**
   * The worker fails over after the client has had text: the new attempt can't silently replace what the
   * client shows, so the stream ends with an {@code answer_restarted} error and {@code [DONE]}.
   */
  @Test
  @org.junit.jupiter.api.Timeout(120)
  void aFailoverAfterTextWasStreamedEndsTheStreamWithAnswerRestarted() throws Exception {
    JsonObject request = new JsonObject().put("model", "m").put("stream", true)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "stall, then fail over")));
    java.net.http.HttpResponse<java.util.stream.Stream<String>> response = java.net.http.HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
            .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(request.encode())).build(),
        java.net.http.HttpResponse.BodyHandlers.ofLines());
    assertThat(response.statusCode()).isEqualTo(200);
    java.util.Iterator<String> lines = response.body().iterator();
    List<String> data = new ArrayList<>();
    while (data.stream().noneMatch(d -> d.contains("\" answer\""))) { // the stalled attempt's text has arrived
      String line = lines.next();
      if (line.startsWith("data: ")) {
        data.add(line.substring(6));
      }
    }
    // A second worker joins and the first leaves: the message is answered again, as attempt 2.
    java.util.Set<String> before = new java.util.HashSet<>(stack.vertx().deploymentIDs());
    TokenrailStack.await(stack.vertx().deployVerticle(new dev.tokenrail.worker.WorkerVerticle(
        WorkerConfig.of(stack.kafka(), ModelSettings.openAi(model.baseUrl(), "sk-provider-key", "test-model"), 1_000)
            .withDrainTimeout(Duration.ZERO))));
    for (String id : before) {
      if (!id.equals(gatewayDeployment)) {
        TokenrailStack.await(stack.vertx().undeploy(id));
      }
    }
    lines.forEachRemaining(line -> {
      if (line.startsWith("data: ")) {
        data.add(line.substring(6));
      }
    });
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    JsonObject error = new JsonObject(data.get(data.size() - 2)).getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo("answer_restarted");
    assertThat(data.subList(0, data.size() - 2)).as("only the first attempt's chunks before it")
        .allSatisfy(d -> assertThat(new JsonObject(d).getString("object")).isEqualTo("chat.completion.chunk"));
    assertThat(content(data.subList(0, data.size() - 2).stream().map(d -> new Frame("x", d)).toList()))
        .isEqualTo("Half an answer");
  }

  private record Frame(String id, String data) {
  }

  private static List<Frame> frames(String body) {
    List<Frame> frames = new ArrayList<>();
    for (String block : body.split("\n\n")) {
      String id = null;
      String data = null;
      for (String line : block.split("\n")) {
        if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("data: ")) {
          data = line.substring(6);
        }
      }
      if (data != null) {
        frames.add(new Frame(id, data));
      }
    }
    return frames;
  }

  private static String content(List<Frame> chunks) {
    return chunks.stream().map(f -> new JsonObject(f.data()).getJsonArray("choices"))
        .filter(c -> !c.isEmpty()).map(c -> c.getJsonObject(0).getJsonObject("delta").getString("content", ""))
        .collect(Collectors.joining());
  }

  private static Http.Response post(JsonObject body, String lastEventId, String conversation) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId).header("X-Conversation-Id", conversation);
    }
    return Http.send(request.build());
  }
}
