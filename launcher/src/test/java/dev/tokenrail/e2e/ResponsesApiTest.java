package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseRetrieveParams;
import com.openai.models.responses.ResponseStatus;
import com.openai.models.responses.ResponseStreamEvent;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.model.ModelSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * OpenAI's Responses API with background mode, through the official OpenAI Java SDK (only its base URL
 * changed, a Tokenrail token as its key) against two gateways, Kafka and a worker calling the test's
 * OpenAI-compatible model server: a background stream read to sequence 10 and resumed on the other gateway
 * with {@code starting_after}, its numbers the same on a second reading; a background response polled to
 * {@code completed}; cancel; {@code previous_response_id} carrying the first answer into the second prompt.
 */
@ExtendWith(SharedKafka.class)
class ResponsesApiTest {

  private static final List<String> TOKENS = IntStream.range(0, 40).mapToObj(i -> " word" + i).toList();
  private static final String ANSWER = String.join("", TOKENS);
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static OpenAiCompatibleServer model;
  private static TokenrailStack stack;
  private static OpenAIClient gateway1;
  private static OpenAIClient gateway2;
  private static final List<String> BASES = new ArrayList<>();
  private static String token;

  @BeforeAll
  static void start() {
    model = OpenAiCompatibleServer.answering(request -> request.lastRole().equals("tool")
        ? new OpenAiCompatibleServer.Script.Stream(List.of("2 ^ 8", " is", " 256."), 5)
        : request.lastUserText().contains("calculate") ? new OpenAiCompatibleServer.Script.CallTools(List.of(
            new OpenAiCompatibleServer.ToolCall("call_1", "calculator", "{\"expression\":\"2 ^ 8\"}")))
        : request.lastUserText().contains("stall") ? new OpenAiCompatibleServer.Script.Stall(List.of("Half", " an", " answer"))
        : new OpenAiCompatibleServer.Script.Stream(TOKENS, 60)); // 2.4 s: a resume comes mid-answer
    stack = TokenrailStack.start((java.util.function.Function<dev.tokenrail.runtime.KafkaSettings, WorkerConfig>) kafka ->
        WorkerConfig.of(kafka, ModelSettings.openAi(model.baseUrl(), "sk-provider-key", "test-model"), 1_000)
            .withDrainTimeout(Duration.ZERO), 0);
    token = new TestTokens(stack.vertx()).forSubject("responses-user");
    gateway1 = client(token);
    gateway2 = client(token);
  }

  private static OpenAIClient client(String token) {
    var config = TokenrailStack.gatewayConfig(stack.kafka()).withAuth(TestTokens.SETTINGS).withModelName("openai:test-model");
    var gateway = TokenrailStack.startGateway(stack.vertx(), config);
    GATEWAYS.add(gateway.deploymentID());
    String base = "http://localhost:" + gateway.actualPort();
    BASES.add(base + "/v1");
    return OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey(token).maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    gateway1.close();
    gateway2.close();
    stack.close();
    model.close();
  }

  @Test
  void aBackgroundStreamReadToSequence10ResumesOnTheOtherGatewayAndItsNumbersNeverChange() {
    ResponseCreateParams params = ResponseCreateParams.builder().model("openai:test-model")
        .input("Tell me forty words").background(true).build();
    List<ResponseStreamEvent> first = new ArrayList<>();
    try (StreamResponse<ResponseStreamEvent> stream = gateway1.responses().createStreaming(params)) {
      Iterator<ResponseStreamEvent> events = stream.stream().iterator();
      while (first.isEmpty() || sequence(first.get(first.size() - 1)) < 10) {
        first.add(events.next());
      }
    } // the client goes away mid-answer
    String id = first.get(0).created().orElseThrow().response().id();
    long last = sequence(first.get(first.size() - 1));
    assertThat(last).isEqualTo(10);
    assertThat(gateway2.responses().retrieve(id).status()).as("resumed mid-answer: the rest comes live")
        .contains(ResponseStatus.IN_PROGRESS);

    List<ResponseStreamEvent> rest = readAll(gateway2, id, last);
    List<ResponseStreamEvent> whole = Stream.concat(first.stream(), rest.stream()).toList();
    assertThat(whole.stream().map(ResponsesApiTest::sequence).toList()).as("numbered 0, 1, 2, … with no gap or repeat")
        .containsExactlyElementsOf(LongStream.range(0, whole.size()).boxed().toList());
    String text = whole.stream().flatMap(e -> e.outputTextDelta().stream()).map(d -> d.delta()).collect(Collectors.joining());
    Response completed = whole.get(whole.size() - 1).completed().orElseThrow().response();
    assertThat(text).isEqualTo(ANSWER).isEqualTo(outputText(completed));
    assertThat(outputText(gateway1.responses().retrieve(id))).isEqualTo(ANSWER);
    assertThat(gateway1.responses().retrieve(id).status()).contains(ResponseStatus.COMPLETED);

    // Read again from the start, on the first gateway: the same numbers for the same events.
    List<ResponseStreamEvent> again = readAll(gateway1, id, -1);
    assertThat(again.stream().map(e -> sequence(e) + ":" + e.outputTextDelta().map(d -> d.delta()).orElse("")).toList())
        .isEqualTo(whole.stream().map(e -> sequence(e) + ":" + e.outputTextDelta().map(d -> d.delta()).orElse("")).toList());
  }

  @Test
  void aBackgroundResponseIsPolledToCompletedAndItsInputListed() {
    Response queued = gateway1.responses().create(ResponseCreateParams.builder().model("openai:test-model")
        .input("Answer in the background").background(true).build());
    assertThat(queued.status()).contains(ResponseStatus.QUEUED);
    await().atMost(PATIENCE).until(() -> gateway2.responses().retrieve(queued.id()).status()
        .equals(Optional.of(ResponseStatus.COMPLETED)));
    assertThat(outputText(gateway2.responses().retrieve(queued.id()))).isEqualTo(ANSWER);
    assertThat(gateway1.responses().inputItems().list(queued.id()).data()).singleElement()
        .satisfies(item -> assertThat(item.responseInputMessageItem().orElseThrow().content().get(0).inputText().orElseThrow().text())
            .isEqualTo("Answer in the background"));
  }

  @Test
  void cancelEndsABackgroundResponseCancelled() {
    Response started = gateway1.responses().create(ResponseCreateParams.builder().model("openai:test-model")
        .input("stall, then be cancelled").background(true).build());
    await().atMost(PATIENCE).until(() -> gateway1.responses().retrieve(started.id()).status()
        .equals(Optional.of(ResponseStatus.IN_PROGRESS)));
    assertThat(gateway2.responses().cancel(started.id()).status()).contains(ResponseStatus.CANCELLED);
    await().atMost(PATIENCE).until(() -> gateway1.responses().retrieve(started.id()).status()
        .equals(Optional.of(ResponseStatus.CANCELLED)));
  }

  /**
   * A streamed response cancelled from elsewhere mid-answer: its stream goes through the whole sequence of
   * event types and ends with {@code response.incomplete}; retrieved, it is {@code cancelled}, with the text
   * that streamed.
   */
  @Test
  void aStreamedResponseCancelledMidAnswerEndsIncompleteAfterEveryEventInItsOrder() {
    List<ResponseStreamEvent> events = new ArrayList<>();
    String id;
    try (StreamResponse<ResponseStreamEvent> stream = gateway1.responses().createStreaming(ResponseCreateParams.builder()
        .model("openai:test-model").input("stall, then be cancelled while streaming").build())) {
      Iterator<ResponseStreamEvent> it = stream.stream().iterator();
      while (events.stream().filter(e -> e.outputTextDelta().isPresent()).count() < 3) {
        events.add(it.next());
      }
      id = events.get(0).created().orElseThrow().response().id();
      assertThat(gateway2.responses().cancel(id).status()).contains(ResponseStatus.CANCELLED);
      while (!isTerminal(events.get(events.size() - 1))) {
        events.add(it.next());
      }
    }
    assertThat(events.stream().map(ResponsesApiTest::typeOf).toList()).containsExactly(
        "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.incomplete");
    assertThat(events.stream().map(ResponsesApiTest::sequence).toList())
        .containsExactlyElementsOf(LongStream.range(0, events.size()).boxed().toList());
    Response ended = events.get(events.size() - 1).incomplete().orElseThrow().response();
    assertThat(outputText(ended)).isEqualTo("Half an answer");
    await().atMost(PATIENCE).until(() -> gateway2.responses().retrieve(id).status()
        .equals(Optional.of(ResponseStatus.CANCELLED)));
    assertThat(outputText(gateway2.responses().retrieve(id))).isEqualTo("Half an answer");
  }

  /**
   * {@code store: false}: the answer is kept only for the stateless retention (its conversation is one of
   * those {@code /v1/chat} completions get), and a background response, which is fetched later, must be stored.
   */
  @Test
  void storeFalseKeepsTheResponseOnlyBrieflyAndBackgroundNeedsStore() throws Exception {
    Response brief = gateway1.responses().create(ResponseCreateParams.builder().model("openai:test-model")
        .input("not stored").store(false).build());
    assertThat(brief.status()).contains(ResponseStatus.COMPLETED);
    assertThat(brief._additionalProperties().get("store").asBoolean()).contains(false);
    String conversation = brief.id().substring("resp_".length() + 32);
    assertThat(dev.tokenrail.protocol.ConversationIds.isStateless(conversation)).as(conversation).isTrue();
    assertThat(outputText(gateway2.responses().retrieve(brief.id()))).isEqualTo(ANSWER);

    java.net.http.HttpResponse<String> refused = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(BASES.get(0) + "/responses"))
            .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                "{\"model\":\"openai:test-model\",\"input\":\"later\",\"background\":true,\"store\":false}"))
            .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(refused.statusCode()).isEqualTo(400);
    io.vertx.core.json.JsonObject error = new io.vertx.core.json.JsonObject(refused.body()).getJsonObject("error");
    assertThat(error.getString("type")).isEqualTo("invalid_request_error");
    assertThat(error.getString("code")).isEqualTo("invalid_store");
    assertThat(error.getString("message")).contains("'background': true needs 'store': true");
  }

  @Test
  void previousResponseIdCarriesTheFirstAnswerIntoTheSecondPrompt() {
    Response first = gateway1.responses().create(ResponseCreateParams.builder().model("openai:test-model")
        .input("first question, remember it").build());
    assertThat(first.status()).contains(ResponseStatus.COMPLETED);
    assertThat(outputText(first)).isEqualTo(ANSWER);
    Response second = gateway2.responses().create(ResponseCreateParams.builder().model("openai:test-model")
        .input("second question").previousResponseId(first.id()).build());
    assertThat(second.status()).contains(ResponseStatus.COMPLETED);
    OpenAiCompatibleServer.Recorded sent = model.requests().stream()
        .filter(r -> r.lastUserText().equals("second question")).findFirst().orElseThrow();
    assertThat(sent.messages().encode()).contains("first question, remember it").contains(ANSWER.trim());

    // Deleting erases the conversation the two responses share: both are gone, on every gateway.
    gateway1.responses().delete(second.id());
    await().atMost(PATIENCE).untilAsserted(() -> {
      assertThatThrownBy(() -> gateway2.responses().retrieve(first.id())).isInstanceOf(NotFoundException.class);
      assertThatThrownBy(() -> gateway2.responses().retrieve(second.id())).isInstanceOf(NotFoundException.class);
    });
  }

  /**
   * The worker fails over after text went out: the new attempt can't silently replace what the client has,
   * so the stream ends with {@code response.failed} saying the answer restarted, as {@code /v1/chat} does.
   */
  @Test
  void aWorkerFailoverAfterTextWentOutEndsTheStreamFailedWithAnswerRestarted() throws Exception {
    ResponseCreateParams params = ResponseCreateParams.builder().model("openai:test-model")
        .input("stall, then fail over").background(true).build();
    List<ResponseStreamEvent> events = new ArrayList<>();
    try (StreamResponse<ResponseStreamEvent> stream = gateway1.responses().createStreaming(params)) {
      Iterator<ResponseStreamEvent> it = stream.stream().iterator();
      while (events.stream().flatMap(e -> e.outputTextDelta().stream()).noneMatch(d -> d.delta().equals(" answer"))) {
        events.add(it.next());
      }
      // A second worker joins and the first leaves: the response is answered again, as attempt 2.
      java.util.Set<String> before = new java.util.HashSet<>(stack.vertx().deploymentIDs());
      String worker = TokenrailStack.await(stack.vertx().deployVerticle(new dev.tokenrail.worker.WorkerVerticle(
          WorkerConfig.of(stack.kafka(), ModelSettings.openAi(model.baseUrl(), "sk-provider-key", "test-model"), 1_000)
              .withDrainTimeout(Duration.ZERO))));
      for (String id : before) {
        if (stack.vertx().deploymentIDs().contains(id) && isWorker(id)) {
          TokenrailStack.await(stack.vertx().undeploy(id));
        }
      }
      it.forEachRemaining(events::add);
      assertThat(worker).isNotNull();
    }
    ResponseStreamEvent last = events.get(events.size() - 1);
    assertThat(last.failed()).as("the last event: %s", last).isPresent();
    assertThat(last.failed().orElseThrow().response().error().orElseThrow().code().toString()).contains("answer_restarted");
    assertThat(events.stream().flatMap(e -> e.outputTextDelta().stream()).map(d -> d.delta())
        .collect(Collectors.joining())).isEqualTo("Half an answer");
  }

  private static final java.util.Set<String> GATEWAYS = new java.util.HashSet<>();

  private static boolean isWorker(String deploymentId) {
    return !GATEWAYS.contains(deploymentId);
  }

  /**
   * The same with the {@code openai} npm package ({@code clients/openai-node}, run by Node): a background
   * stream left at sequence 10 and resumed on the other gateway with {@code starting_after}.
   */
  @Test
  void theOpenAiNodePackageResumesABackgroundStreamOnTheOtherGateway() throws Exception {
    java.nio.file.Path client = java.nio.file.Path.of("..", "clients", "openai-node").toAbsolutePath().normalize();
    org.junit.jupiter.api.Assumptions.assumeTrue(commandWorks(client, "npm", "--version"),
        "openai npm test skipped: no npm (CI installs it)");
    if (!java.nio.file.Files.isDirectory(client.resolve("node_modules"))) {
      assertThat(commandWorks(client, "npm", "ci", "--no-audit", "--no-fund")).as("npm ci in " + client).isTrue();
    }
    ProcessBuilder node = new ProcessBuilder("node", "resume.mjs").directory(client.toFile());
    node.environment().putAll(java.util.Map.of("GATEWAY_1", BASES.get(0), "GATEWAY_2", BASES.get(1), "TOKEN", token));
    Process p = node.redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    io.vertx.core.json.JsonObject result = new io.vertx.core.json.JsonObject(out.strip());
    List<Object> sequences = result.getJsonArray("sequences").getList();
    assertThat(sequences).as("read to 10, then resumed after it: 0, 1, 2, … once each")
        .isEqualTo(LongStream.range(0, sequences.size()).mapToObj(i -> (Object) (int) i).toList());
    assertThat(result.getString("last")).isEqualTo("response.completed");
    assertThat(result.getString("deltas")).isEqualTo(ANSWER).isEqualTo(result.getString("outputText"));
    assertThat(result.getString("status")).isEqualTo("completed");
  }

  private static boolean commandWorks(java.nio.file.Path dir, String... command) {
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES) && p.exitValue() == 0;
    } catch (java.io.IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * The worker's calculator as an {@code mcp_call} output item — a tool the server ran, with its output, which
   * the client has nothing to do about (a {@code function_call} item would ask the client to run it) — before
   * the message.
   */
  @Test
  void aServerSideToolCallIsAnMcpCallItemWithItsOutput() {
    List<ResponseStreamEvent> events = new ArrayList<>();
    try (StreamResponse<ResponseStreamEvent> stream = gateway1.responses().createStreaming(ResponseCreateParams.builder()
        .model("openai:test-model").input("calculate 2 ^ 8 for me").build())) {
      stream.stream().forEach(events::add);
    }
    Response completed = events.get(events.size() - 1).completed().orElseThrow().response();
    assertThat(completed.output()).hasSize(2);
    var call = completed.output().get(0).mcpCall().orElseThrow();
    assertThat(call.name()).isEqualTo("calculator");
    assertThat(call.serverLabel()).isEqualTo("tokenrail");
    assertThat(call.id()).isEqualTo("mcp_call_1");
    assertThat(call.output()).hasValueSatisfying(o -> assertThat(o).contains("256"));
    assertThat(completed.output().get(0).functionCall()).as("nothing for the client to run").isEmpty();
    assertThat(outputText(completed)).isEqualTo("2 ^ 8 is 256.");
    assertThat(events.stream().flatMap(e -> e.outputItemAdded().stream()).map(a -> a.outputIndex()).toList())
        .as("the call at 0, the message at 1").containsExactly(0L, 1L);
    Response read = gateway2.responses().retrieve(completed.id());
    assertThat(read.output()).hasSize(2);
    assertThat(read.output().get(0).mcpCall().orElseThrow().name()).isEqualTo("calculator");
    assertThat(outputText(read)).isEqualTo("2 ^ 8 is 256.");
  }

  /** Asking for the events after the last one ends the stream (it used to wait forever, without a header). */
  @Test
  void aStreamStartingAfterTheLastEventEndsEmpty() throws Exception {
    Response done = gateway1.responses().create(ResponseCreateParams.builder().model("openai:test-model")
        .input("a short one, then nothing after it").build());
    java.net.http.HttpResponse<String> after = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(BASES.get(1) + "/responses/" + done.id()
            + "?stream=true&starting_after=100000")).header("Authorization", "Bearer " + token)
            .timeout(Duration.ofSeconds(30)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(after.statusCode()).isEqualTo(200);
    assertThat(after.body()).doesNotContain("data:");
  }

  @Test
  void aPreviousResponseThatIsNotTheCallersIsRefused() {
    Response mine = gateway1.responses().create(ResponseCreateParams.builder().model("openai:test-model")
        .input("mine").build());
    OpenAIClient stranger = OpenAIOkHttpClient.builder().baseUrl(BASES.get(0))
        .apiKey(new TestTokens(stack.vertx()).forSubject("someone-else")).maxRetries(0).build();
    try {
      assertThatThrownBy(() -> stranger.responses().create(ResponseCreateParams.builder().model("openai:test-model")
          .input("continue theirs").previousResponseId(mine.id()).build()))
          .isInstanceOf(com.openai.errors.BadRequestException.class).hasMessageContaining("names no response of yours");
      assertThatThrownBy(() -> stranger.responses().retrieve(mine.id())).isInstanceOf(NotFoundException.class);
    } finally {
      stranger.close();
    }
  }

  /** instructions, temperature and max_output_tokens reach the model; metadata is echoed. */
  @Test
  void instructionsAndSamplingReachTheModelAndMetadataIsEchoed() {
    Response response = gateway1.responses().create(ResponseCreateParams.builder().model("openai:test-model")
        .input("with settings").instructions("Answer like a lighthouse keeper.").temperature(0.3).maxOutputTokens(77L)
        .metadata(ResponseCreateParams.Metadata.builder().putAdditionalProperty("ticket", com.openai.core.JsonValue.from("T-1"))
            .build())
        .build());
    assertThat(response.status()).contains(ResponseStatus.COMPLETED);
    assertThat(response.metadata().orElseThrow()._additionalProperties().get("ticket").asString()).contains("T-1");
    OpenAiCompatibleServer.Recorded sent = model.requests().stream()
        .filter(r -> r.lastUserText().equals("with settings")).findFirst().orElseThrow();
    io.vertx.core.json.JsonObject system = sent.messages().getJsonObject(0);
    assertThat(system.getString("role")).isEqualTo("system");
    assertThat(system.getString("content")).isEqualTo("Answer like a lighthouse keeper.");
    assertThat(sent.body().getDouble("temperature")).isEqualTo(0.3);
    assertThat(sent.body().getInteger("max_completion_tokens", sent.body().getInteger("max_tokens"))).isEqualTo(77);
  }

  /** Another user's token finds nothing of a response: not to cancel, delete or list the input of. */
  @Test
  void anotherUsersCancelDeleteAndInputItemsFindNothing() {
    Response mine = gateway1.responses().create(ResponseCreateParams.builder().model("openai:test-model")
        .input("mine alone").build());
    OpenAIClient stranger = OpenAIOkHttpClient.builder().baseUrl(BASES.get(1))
        .apiKey(new TestTokens(stack.vertx()).forSubject("a-stranger")).maxRetries(0).build();
    try {
      assertThatThrownBy(() -> stranger.responses().cancel(mine.id())).isInstanceOf(NotFoundException.class);
      assertThatThrownBy(() -> stranger.responses().delete(mine.id())).isInstanceOf(NotFoundException.class);
      assertThatThrownBy(() -> stranger.responses().inputItems().list(mine.id())).isInstanceOf(NotFoundException.class);
    } finally {
      stranger.close();
    }
    assertThat(outputText(gateway2.responses().retrieve(mine.id()))).as("still there for its owner").isEqualTo(ANSWER);
  }

  @Test
  void anUnknownResponseIsNotFoundInOpenAisShape() throws Exception {
    assertThatThrownBy(() -> gateway1.responses().retrieve("resp_bogus")).isInstanceOf(NotFoundException.class);
    String unknown = "resp_0192f0e07a5b7c3d8e9f0a1b2c3d4e5fnever-seen";
    assertThatThrownBy(() -> gateway1.responses().retrieve(unknown)).isInstanceOf(NotFoundException.class);
    for (String id : List.of("resp_bogus", unknown)) {
      java.net.http.HttpResponse<String> raw = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create(BASES.get(1) + "/responses/" + id))
              .header("Authorization", "Bearer " + token).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(raw.statusCode()).isEqualTo(404);
      io.vertx.core.json.JsonObject error = new io.vertx.core.json.JsonObject(raw.body()).getJsonObject("error");
      assertThat(error.fieldNames()).containsExactlyInAnyOrder("message", "type", "param", "code");
      assertThat(error.getString("code")).isEqualTo("response_not_found");
      assertThat(error.getString("type")).isEqualTo("not_found_error");
      assertThat(error.getString("message")).isEqualTo("No such response.");
    }
  }

  private static List<ResponseStreamEvent> readAll(OpenAIClient client, String id, long startingAfter) {
    ResponseRetrieveParams params = startingAfter < 0 ? ResponseRetrieveParams.builder().build()
        : ResponseRetrieveParams.builder().startingAfter(startingAfter).build();
    List<ResponseStreamEvent> events = new ArrayList<>();
    try (StreamResponse<ResponseStreamEvent> stream = client.responses().retrieveStreaming(id, params)) {
      Iterator<ResponseStreamEvent> it = stream.stream().iterator();
      while (events.isEmpty() || !isTerminal(events.get(events.size() - 1))) {
        events.add(it.next());
      }
    }
    return events;
  }

  private static boolean isTerminal(ResponseStreamEvent e) {
    return e.completed().isPresent() || e.failed().isPresent() || e.incomplete().isPresent();
  }

  /** The event's {@code type}: the SDK reads each type into its own variant. */
  private static String typeOf(ResponseStreamEvent e) {
    return e.created().isPresent() ? "response.created" : e.inProgress().isPresent() ? "response.in_progress"
        : e.outputItemAdded().isPresent() ? "response.output_item.added"
        : e.contentPartAdded().isPresent() ? "response.content_part.added"
        : e.outputTextDelta().isPresent() ? "response.output_text.delta"
        : e.outputTextDone().isPresent() ? "response.output_text.done"
        : e.contentPartDone().isPresent() ? "response.content_part.done"
        : e.outputItemDone().isPresent() ? "response.output_item.done"
        : e.completed().isPresent() ? "response.completed" : e.failed().isPresent() ? "response.failed"
        : e.incomplete().isPresent() ? "response.incomplete" : "unexpected: " + e;
  }

  private static long sequence(ResponseStreamEvent e) {
    return Stream.<Optional<Long>>of(
            e.created().map(x -> x.sequenceNumber()), e.inProgress().map(x -> x.sequenceNumber()),
            e.outputItemAdded().map(x -> x.sequenceNumber()), e.contentPartAdded().map(x -> x.sequenceNumber()),
            e.outputTextDelta().map(x -> x.sequenceNumber()), e.outputTextDone().map(x -> x.sequenceNumber()),
            e.contentPartDone().map(x -> x.sequenceNumber()), e.outputItemDone().map(x -> x.sequenceNumber()),
            e.completed().map(x -> x.sequenceNumber()), e.failed().map(x -> x.sequenceNumber()),
            e.incomplete().map(x -> x.sequenceNumber()))
        .flatMap(Optional::stream).findFirst().orElseThrow(() -> new AssertionError("an event without a number: " + e));
  }

  private static String outputText(Response response) {
    return response.output().stream().flatMap(item -> item.message().stream())
        .flatMap(m -> m.content().stream()).flatMap(c -> c.outputText().stream()).map(t -> t.text())
        .collect(Collectors.joining());
  }
}
