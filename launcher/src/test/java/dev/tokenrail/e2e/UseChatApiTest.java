package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrail.testkit.Http;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
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
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The AI SDK's {@code useChat} back end over HTTP, part by part: {@code POST /api/chat} answers with the UI
 * message stream (each part carrying only the fields the SDK's strict schema allows), closing the connection
 * does not cancel, {@code GET /api/chat/:id/stream} replays the answer in progress on another gateway (204
 * when none is), {@code POST /api/chat/:id/stop} cancels through the log, and tool calls come as dynamic tool
 * parts. The SDK's own client runs against these routes in {@code UseChatBrowserTest}.
 */
@ExtendWith(SharedKafka.class)
class UseChatApiTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  /**
   * The fields each part type may carry in the SDK's schema: ai 5.0.0–5.0.216 and 6.0.0–6.0.230 reject any
   * other field (strict objects); later versions keep unknown fields, but a client may be one of those.
   */
  private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
      Map.entry("start", Set.of("type", "messageId", "messageMetadata")),
      Map.entry("start-step", Set.of("type")),
      Map.entry("text-start", Set.of("type", "id", "providerMetadata")),
      Map.entry("text-delta", Set.of("type", "id", "delta", "providerMetadata")),
      Map.entry("text-end", Set.of("type", "id", "providerMetadata")),
      Map.entry("reasoning-start", Set.of("type", "id", "providerMetadata")),
      Map.entry("reasoning-delta", Set.of("type", "id", "delta", "providerMetadata")),
      Map.entry("reasoning-end", Set.of("type", "id", "providerMetadata")),
      Map.entry("tool-input-start", Set.of("type", "toolCallId", "toolName", "providerExecuted", "dynamic")),
      Map.entry("tool-input-delta", Set.of("type", "toolCallId", "inputTextDelta")),
      Map.entry("tool-input-available", Set.of("type", "toolCallId", "toolName", "input", "providerExecuted",
          "providerMetadata", "dynamic")),
      Map.entry("tool-output-available", Set.of("type", "toolCallId", "output", "providerExecuted", "dynamic",
          "preliminary")),
      Map.entry("tool-output-error", Set.of("type", "toolCallId", "errorText", "providerExecuted", "dynamic")),
      Map.entry("message-metadata", Set.of("type", "messageMetadata")),
      Map.entry("finish-step", Set.of("type")),
      Map.entry("finish", Set.of("type", "messageMetadata")),
      Map.entry("abort", Set.of("type")),
      Map.entry("error", Set.of("type", "errorText")));

  private static TokenrailStack stack;

  @BeforeAll
  static void start() {
    stack = TokenrailStack.start(ModelSettings.demo(60, 0), 2);
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @Test
  void aChatAnswersAsUiMessagePartsWhoseTextIsTheTranscripts() throws Exception {
    String chat = chatId();
    HttpResponse<String> response = post(stack.baseUrl(0), chat, "#tokens=20 hello useChat");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("x-vercel-ai-ui-message-stream")).hasValue("v1");
    assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
    List<JsonObject> parts = parts(response.body());
    assertThat(response.body()).endsWith("data: [DONE]\n\n");
    assertThat(parts).extracting(p -> p.getString("type")).containsExactlyElementsOf(expectedTypes(20));
    String messageId = parts.get(0).getString("messageId");
    assertThat(parts).filteredOn(p -> p.getString("type").startsWith("text-")).extracting(p -> p.getString("id"))
        .as("one text part").containsOnly(parts.get(2).getString("id"));
    assertThat(textOf(parts)).isEqualTo(assistant(chat, messageId).getString("text"));
    assertThat(assistant(chat, messageId).getString("status")).isEqualTo("done");
    JsonObject usage = parts.get(parts.size() - 4).getJsonObject("messageMetadata").getJsonObject("usage");
    assertThat(usage.getLong("outputTokens")).isEqualTo(20);
    assertAllowedFields(parts);
  }

  @Test
  void closingTheStreamDoesNotCancelAndAnotherGatewayResumesTheAnswerInProgressFromItsStart() throws Exception {
    String chat = chatId();
    String early;
    try (InputStream body = postStreaming(stack.baseUrl(0), chat, "#tokens=120 a reload will come")) {
      early = readUntil(body, 5); // a reload mid-answer: the page goes, the connection closes
    }
    String messageId = parts(early).get(0).getString("messageId");
    JsonObject transcript = Http.get(stack.baseUrl(1) + "/api/conversations/" + chat).json();
    assertThat(transcript.getString("inProgress")).as("the page leaves this answer out of its history").isEqualTo(messageId);

    HttpResponse<String> resumed = HTTP.send(HttpRequest.newBuilder(URI.create(stack.baseUrl(1) + "/api/chat/" + chat
        + "/stream")).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(resumed.statusCode()).isEqualTo(200);
    assertThat(resumed.headers().firstValue("x-vercel-ai-ui-message-stream")).hasValue("v1");
    List<JsonObject> parts = parts(resumed.body());
    assertThat(parts).extracting(p -> p.getString("type")).containsExactlyElementsOf(expectedTypes(120));
    assertThat(parts.get(0).getString("messageId")).isEqualTo(messageId);
    JsonObject answer = assistant(chat, messageId);
    assertThat(answer.getString("status")).as("closing the connection is not a stop").isEqualTo("done");
    assertThat(textOf(parts)).as("the whole answer, once").isEqualTo(answer.getString("text"));
    assertAllowedFields(parts);

    assertThat(Http.get(stack.baseUrl(0) + "/api/conversations/" + chat).json().containsKey("inProgress")).isFalse();
    assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(stack.baseUrl(0) + "/api/chat/" + chat + "/stream")).GET()
        .build(), HttpResponse.BodyHandlers.ofString()).statusCode()).as("nothing in progress").isEqualTo(204);
  }

  @Test
  void stopCancelsTheAnswerThroughTheLogAndTheStreamEndsWithAbort() throws Exception {
    String chat = chatId();
    try (InputStream body = postStreaming(stack.baseUrl(0), chat, "#tokens=400 stop me")) {
      String early = readUntil(body, 3);
      String messageId = parts(early).get(0).getString("messageId");
      Http.Response stop = Http.postJson(stack.baseUrl(1) + "/api/chat/" + chat + "/stop", "{}");
      assertThat(stop.status()).isEqualTo(202);
      assertThat(stop.json().getString("messageId")).isEqualTo(messageId);
      String rest = new String(body.readAllBytes(), StandardCharsets.UTF_8);
      List<JsonObject> parts = parts(early + rest);
      assertThat(parts.get(parts.size() - 1).getString("type")).isEqualTo("abort");
      assertThat(rest).endsWith("data: [DONE]\n\n");
      assertAllowedFields(parts);
      await().atMost(PATIENCE).until(() -> "cancelled".equals(assistant(chat, messageId).getString("status")));
      assertThat(Http.postJson(stack.baseUrl(0) + "/api/chat/" + chat + "/stop", "{}").status())
          .as("nothing left to stop").isEqualTo(204);
    }
  }

  @Test
  void theWorkersToolCallsComeAsDynamicToolParts() throws Exception {
    String chat = chatId();
    List<JsonObject> parts = parts(post(stack.baseUrl(0), chat, "calculate 2 ^ 8").body());
    assertAllowedFields(parts);
    JsonObject call = parts.stream().filter(p -> p.getString("type").equals("tool-input-available")).findFirst().orElseThrow();
    assertThat(call.getString("toolName")).isEqualTo("calculator");
    assertThat(call.getBoolean("dynamic")).isTrue();
    // Run by the server: a page's sendAutomaticallyWhen would otherwise send the conversation again, forever.
    assertThat(call.getBoolean("providerExecuted")).isTrue();
    assertThat(call.getValue("input")).isInstanceOf(JsonObject.class);
    JsonObject result = parts.stream().filter(p -> p.getString("type").equals("tool-output-available")).findFirst().orElseThrow();
    assertThat(result.getString("toolCallId")).isEqualTo(call.getString("toolCallId"));
    assertThat(result.getValue("output").toString()).contains("256");
    assertThat(result.getBoolean("providerExecuted")).isTrue();
    assertThat(textOf(parts)).contains("256");
    assertThat(parts).extracting(p -> p.getString("type")).endsWith("text-end", "finish-step", "finish");
  }

  @Test
  void aToolThatFailsIsAToolOutputErrorAndAFailedAnswerAnErrorPart() throws Exception {
    String chat = chatId();
    List<JsonObject> parts = parts(post(stack.baseUrl(0), chat, "calculate 1/0").body());
    assertAllowedFields(parts);
    JsonObject call = parts.stream().filter(p -> p.getString("type").equals("tool-input-available")).findFirst().orElseThrow();
    JsonObject failed = parts.stream().filter(p -> p.getString("type").equals("tool-output-error")).findFirst().orElseThrow();
    assertThat(failed.getString("toolCallId")).isEqualTo(call.getString("toolCallId"));
    assertThat(failed.getString("errorText")).contains("Division by zero");
    assertThat(parts).extracting(p -> p.getString("type")).endsWith("finish").doesNotContain("tool-output-available");

    String other = chatId();
    HttpResponse<String> refused = post(stack.baseUrl(0), other, "#tokens=999999 more than the demo model gives");
    List<JsonObject> errorParts = parts(refused.body());
    assertAllowedFields(errorParts);
    JsonObject last = errorParts.get(errorParts.size() - 1);
    assertThat(last.getString("type")).isEqualTo("error");
    assertThat(last.getString("errorText")).isNotBlank();
    assertThat(refused.body()).endsWith("data: [DONE]\n\n");
    assertThat(errorParts).extracting(p -> p.getString("type")).doesNotContain("finish");
  }

  /**
   * The default transport sends the whole conversation every time: only its last user message is new, and
   * only that is stored — the workers remember the rest, and the model must not read it twice.
   */
  @Test
  void theWholeHistoryTheDefaultTransportSendsStoresOnlyTheNewMessage() throws Exception {
    String chat = chatId();
    JsonObject u1 = message("user", "#tokens=3 first");
    List<JsonObject> first = parts(postBody(stack.baseUrl(0), new JsonObject().put("id", chat)
        .put("trigger", "submit-message").put("messages", new JsonArray().add(u1)).encode()).body());
    String a1Id = first.get(0).getString("messageId");
    JsonObject a1 = new JsonObject().put("id", a1Id).put("role", "assistant").put("parts", new JsonArray()
        .add(new JsonObject().put("type", "step-start"))
        .add(new JsonObject().put("type", "text").put("text", textOf(first)).put("state", "done")));
    List<JsonObject> second = parts(postBody(stack.baseUrl(1), new JsonObject().put("id", chat)
        .put("trigger", "submit-message").put("messages", new JsonArray().add(u1).add(a1)
            .add(message("user", "#tokens=3 second"))).encode()).body());
    assertThat(second.get(second.size() - 1).getString("type")).isEqualTo("finish");
    JsonArray messages = Http.get(stack.baseUrl(0) + "/api/conversations/" + chat).json().getJsonArray("messages");
    assertThat(messages.stream().map(m -> ((JsonObject) m).getString("role") + ":" + ((JsonObject) m).getString("text")))
        .containsExactly("user:#tokens=3 first", "assistant:" + textOf(first),
            "user:#tokens=3 second", "assistant:" + textOf(second));
  }

  /**
   * The page's own tool: the model's call streams as tool input parts (not run by the server, so not
   * {@code providerExecuted}) and the answer finishes; the page runs it and sends the conversation again, ending
   * with that assistant message and the call's output — answered as that message's next step, from a prompt
   * with the output in place.
   */
  @Test
  void thePagesOwnToolIsCalledAndItsOutputContinuesTheSameMessage() throws Exception {
    String chat = chatId();
    JsonArray tools = new JsonArray().add(new JsonObject().put("name", "uppercase").put("description", "Upper-cases text")
        .put("parameters", new JsonObject().put("type", "object").put("properties", new JsonObject()
            .put("text", new JsonObject().put("type", "string")))));
    JsonObject u1 = message("user", "call uppercase {\"text\": \"hello\"}");
    List<JsonObject> first = parts(postBody(stack.baseUrl(0), new JsonObject().put("id", chat).put("trigger", "submit-message")
        .put("tools", tools).put("messages", new JsonArray().add(u1)).encode()).body());
    assertAllowedFields(first);
    assertThat(first).extracting(p -> p.getString("type")).containsExactly("start", "start-step", "tool-input-start",
        "tool-input-delta", "tool-input-available", "message-metadata", "finish-step", "finish");
    JsonObject call = first.get(4);
    assertThat(call.getString("toolName")).isEqualTo("uppercase");
    assertThat(call.getJsonObject("input")).isEqualTo(new JsonObject().put("text", "hello"));
    assertThat(call.containsKey("providerExecuted")).as("the page runs it").isFalse();
    assertThat(first.get(3).getString("inputTextDelta")).isEqualTo("{\"text\": \"hello\"}");

    // What ai 6 sends once the page's onToolCall added the output (sendAutomaticallyWhen): the same message.
    String a1 = first.get(0).getString("messageId");
    JsonObject a1WithOutput = new JsonObject().put("id", a1).put("role", "assistant").put("parts", new JsonArray()
        .add(new JsonObject().put("type", "step-start"))
        .add(new JsonObject().put("type", "tool-uppercase").put("toolCallId", call.getString("toolCallId"))
            .put("state", "output-available").put("input", call.getJsonObject("input"))
            .put("output", new JsonObject().put("text", "HELLO"))));
    List<JsonObject> next = parts(postBody(stack.baseUrl(1), new JsonObject().put("id", chat).put("trigger", "submit-message")
        .put("messageId", a1).put("tools", tools).put("messages", new JsonArray().add(u1).add(a1WithOutput)).encode()).body());
    assertAllowedFields(next);
    JsonObject start = next.get(0);
    assertThat(start.containsKey("messageId")).as("the SDK adds to the message it has").isFalse();
    String continuation = start.getJsonObject("messageMetadata").getString("messageId");
    assertThat(continuation).isNotEqualTo(a1);
    assertThat(next.get(next.size() - 1).getString("type")).isEqualTo("finish");
    JsonObject answer = assistant(chat, continuation);
    assertThat(textOf(next)).isEqualTo(answer.getString("text")).isEqualTo("The uppercase tool answered: {\"text\":\"HELLO\"}");
    JsonArray messages = Http.get(stack.baseUrl(0) + "/api/conversations/" + chat).json().getJsonArray("messages");
    assertThat(messages.getJsonObject(2).getJsonArray("toolResults").getJsonObject(0).getString("name")).isEqualTo("uppercase");
  }

  @Test
  void theModelsThinkingIsReasoningPartsBeforeTheText() throws Exception {
    String chat = chatId();
    List<JsonObject> parts = parts(post(stack.baseUrl(0), chat, "#think #tokens=4 briefly").body());
    assertAllowedFields(parts);
    List<String> types = parts.stream().map(p -> p.getString("type")).toList();
    assertThat(types.subList(0, 3)).containsExactly("start", "start-step", "reasoning-start");
    assertThat(types.indexOf("reasoning-end")).isLessThan(types.indexOf("text-start"));
    String thought = parts.stream().filter(p -> p.getString("type").equals("reasoning-delta")).map(p -> p.getString("delta"))
        .collect(Collectors.joining());
    assertThat(thought).startsWith("The user wrote #think");
    assertThat(textOf(parts)).isEqualTo(assistant(chat, parts.get(0).getString("messageId")).getString("text"))
        .doesNotContain("#think");
  }

  /**
   * The worker fails over after text went out: the new attempt can't silently replace what the page shows, so
   * the stream ends with an {@code error} part saying the answer restarted (as {@code /v1} does), then
   * {@code [DONE]}; the transcript has the new attempt's whole answer.
   */
  @Test
  void aFailoverAfterTextWentOutEndsThePartsWithAnErrorSayingTheAnswerRestarted() throws Exception {
    String chat = chatId();
    try (InputStream body = postStreaming(stack.baseUrl(0), chat, "#tokens=300 a worker will leave")) {
      String early = readUntil(body, 3);
      String messageId = parts(early).get(0).getString("messageId");
      // A second worker joins and the first leaves, mid-answer: the message is answered again, as attempt 2.
      Set<String> gateways = Set.of(stack.gateway(0).deploymentID(), stack.gateway(1).deploymentID());
      Set<String> before = new java.util.HashSet<>(stack.vertx().deploymentIDs());
      TokenrailStack.await(stack.vertx().deployVerticle(new dev.tokenrail.worker.WorkerVerticle(
          dev.tokenrail.worker.WorkerConfig.of(stack.kafka(), ModelSettings.demo(60, 0), 1_000)
              .withDrainTimeout(Duration.ZERO))));
      for (String id : before) {
        if (!gateways.contains(id)) {
          TokenrailStack.await(stack.vertx().undeploy(id));
        }
      }
      String rest = new String(body.readAllBytes(), StandardCharsets.UTF_8);
      List<JsonObject> parts = parts(early + rest);
      assertAllowedFields(parts);
      JsonObject last = parts.get(parts.size() - 1);
      assertThat(last.getString("type")).isEqualTo("error");
      assertThat(last.getString("errorText")).contains("restarted");
      assertThat(rest).endsWith("data: [DONE]\n\n");
      assertThat(parts).extracting(p -> p.getString("type")).doesNotContain("finish");
      await().atMost(PATIENCE).until(() -> "done".equals(assistant(chat, messageId).getString("status")));
      assertThat(assistant(chat, messageId).getInteger("attempt")).isEqualTo(2);
    }
  }

  /**
   * A message waiting behind the conversation's running answer: its stream says {@code start} with its id at
   * once (before any worker took it), the transcript's {@code inProgress} names the running answer, and a stop
   * naming the waiting message cancels it — its stream ends with {@code abort} — while the running one goes on.
   */
  @Test
  void aWaitingMessageIsAnnouncedAtOnceAndAStopNamingItCancelsItAlone() throws Exception {
    String chat = chatId();
    try (InputStream running = postStreaming(stack.baseUrl(0), chat, "#tokens=200 the first answer");
         InputStream waiting = postStreaming(stack.baseUrl(1), chat, "#tokens=5 the second, queued")) {
      String firstId = parts(readUntil(running, 3)).get(0).getString("messageId");
      BufferedReader queued = new BufferedReader(new InputStreamReader(waiting, StandardCharsets.UTF_8));
      JsonObject start = new JsonObject(queued.readLine().substring("data: ".length()));
      assertThat(start.getString("type")).isEqualTo("start");
      String secondId = start.getString("messageId");
      assertThat(secondId).isNotEqualTo(firstId);
      assertThat(Http.get(stack.baseUrl(0) + "/api/conversations/" + chat).json().getString("inProgress"))
          .as("the running answer, not the one waiting").isEqualTo(firstId);

      Http.Response stop = Http.postJson(stack.baseUrl(0) + "/api/chat/" + chat + "/stop",
          new JsonObject().put("messageId", secondId).encode());
      assertThat(stop.status()).isEqualTo(202);
      assertThat(stop.json().getString("messageId")).isEqualTo(secondId);
      String rest = queued.lines().collect(Collectors.joining("\n"));
      List<JsonObject> parts = parts(rest);
      assertThat(parts).extracting(p -> p.getString("type")).as("no text: it never ran").containsExactly("start-step", "abort");
      String first = new String(running.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(parts(first)).extracting(p -> p.getString("type")).endsWith("finish");
      assertThat(assistant(chat, firstId).getString("status")).isEqualTo("done");
    }
  }

  @Test
  void regenerateAsksTheLastUserMessageAgainAndEditsOrFilesAreRefused() throws Exception {
    String chat = chatId();
    List<JsonObject> first = parts(post(stack.baseUrl(0), chat, "#tokens=4 once").body());
    JsonObject regenerate = new JsonObject().put("id", chat).put("trigger", "regenerate-message")
        .put("messageId", first.get(0).getString("messageId")).put("messages", new JsonArray().add(message("user", "#tokens=4 once")));
    List<JsonObject> again = parts(HTTP.send(HttpRequest.newBuilder(URI.create(stack.baseUrl(0) + "/api/chat"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(regenerate.encode())).build(),
        HttpResponse.BodyHandlers.ofString()).body());
    assertThat(again.get(again.size() - 1).getString("type")).isEqualTo("finish");
    assertThat(again.get(0).getString("messageId")).isNotEqualTo(first.get(0).getString("messageId"));

    JsonObject edit = new JsonObject().put("id", chat).put("trigger", "submit-message").put("messageId", "u1")
        .put("messages", new JsonArray().add(message("user", "edited")));
    assertThat(Http.postJson(stack.baseUrl(0) + "/api/chat", edit.encode()).json().getJsonObject("error").getString("code"))
        .isEqualTo("unsupported_edit");
    JsonObject file = new JsonObject().put("id", chat).put("trigger", "submit-message").put("messages", new JsonArray()
        .add(new JsonObject().put("id", "u2").put("role", "user").put("parts", new JsonArray()
            .add(new JsonObject().put("type", "file").put("mediaType", "image/png").put("url", "data:image/png;base64,AA"))
            .add(new JsonObject().put("type", "text").put("text", "what is this?")))));
    assertThat(Http.postJson(stack.baseUrl(0) + "/api/chat", file.encode()).json().getJsonObject("error").getString("code"))
        .isEqualTo("unsupported_part");
    assertThat(Http.get(stack.baseUrl(0) + "/api/conversations/" + chat).json().getJsonArray("messages"))
        .as("two turns: the message and its regeneration, nothing of the refused ones").hasSize(4);
  }

  @Test
  void badBodiesAreRefusedAndStoreNothing() throws Exception {
    String chat = chatId();
    JsonObject assistantLast = new JsonObject().put("id", chat).put("trigger", "submit-message").put("messages",
        new JsonArray().add(message("user", "hi")).add(message("assistant", "hello")));
    assertThat(Http.postJson(stack.baseUrl(0) + "/api/chat", assistantLast.encode()).json()
        .getJsonObject("error").getString("code")).isEqualTo("last_message_not_user");
    assertThat(Http.postJson(stack.baseUrl(0) + "/api/chat", "{\"messages\":[]}").status()).isEqualTo(400);
    assertThat(Http.postJson(stack.baseUrl(0) + "/api/chat", new JsonObject().put("id", "../etc")
        .put("messages", new JsonArray().add(message("user", "hi"))).encode()).json().getJsonObject("error")
        .getString("code")).isEqualTo("invalid_conversation_id");
    assertThat(Http.postJson(stack.baseUrl(0) + "/api/chat", "{not json").status()).isEqualTo(400);
    assertThat(Http.get(stack.baseUrl(0) + "/api/conversations/" + chat).status()).as("nothing stored").isEqualTo(404);
  }

  private static List<String> expectedTypes(int tokens) {
    List<String> types = new ArrayList<>(List.of("start", "start-step", "text-start"));
    for (int i = 0; i < tokens; i++) {
      types.add("text-delta");
    }
    types.addAll(List.of("message-metadata", "text-end", "finish-step", "finish")); // usage, then the end
    return types;
  }

  private static void assertAllowedFields(List<JsonObject> parts) {
    for (JsonObject part : parts) {
      assertThat(ALLOWED).as("a part type of the protocol").containsKey(part.getString("type"));
      assertThat(ALLOWED.get(part.getString("type"))).as("fields of %s", part).containsAll(part.fieldNames());
    }
  }

  private static String chatId() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  }

  private static JsonObject message(String role, String text) {
    return new JsonObject().put("id", UUID.randomUUID().toString()).put("role", role)
        .put("parts", new JsonArray().add(new JsonObject().put("type", "text").put("text", text)));
  }

  /** The body the SDK's default transport sends for a new user message. */
  private static String body(String chat, String text) {
    return new JsonObject().put("id", chat).put("trigger", "submit-message").putNull("messageId")
        .put("messages", new JsonArray().add(message("user", text))).encode();
  }

  private static HttpResponse<String> post(String base, String chat, String text) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/chat")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body(chat, text))).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> postBody(String base, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/chat")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static InputStream postStreaming(String base, String chat, String text) throws Exception {
    HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/chat"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body(chat, text))).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  /** Reads the stream until it has carried {@code deltas} text deltas; returns what it read (whole lines). */
  private static String readUntil(InputStream body, int deltas) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
    StringBuilder read = new StringBuilder();
    int seen = 0;
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      read.append(line).append('\n');
      if (line.isEmpty() && seen >= deltas) {
        return read.toString();
      }
      if (line.contains("\"type\":\"text-delta\"")) {
        seen++;
      }
    }
    throw new AssertionError("the stream ended after " + seen + " deltas: " + read);
  }

  /** The JSON parts of a UI message stream body, in order ({@code [DONE]} and comments left out). */
  private static List<JsonObject> parts(String body) {
    return body.lines().filter(l -> l.startsWith("data: ") && !l.equals("data: [DONE]"))
        .map(l -> new JsonObject(l.substring("data: ".length()))).toList();
  }

  private static String textOf(List<JsonObject> parts) {
    return parts.stream().filter(p -> p.getString("type").equals("text-delta")).map(p -> p.getString("delta"))
        .collect(Collectors.joining());
  }

  private static JsonObject assistant(String chat, String messageId) {
    return Http.get(stack.baseUrl(0) + "/api/conversations/" + chat).json().getJsonArray("messages").stream()
        .map(JsonObject.class::cast)
        .filter(m -> m.getString("role").equals("assistant") && m.getString("messageId").equals(messageId))
        .findFirst().orElseThrow();
  }
}
