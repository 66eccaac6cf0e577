package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.gateway.access.ClientLimits;
import dev.tokenrail.protocol.EventId;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.model.ModelSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A stream place is given back exactly once however its stream ends — the server ends it (a completion,
 * a finished resume), the client goes away, an error body — so a subject with a cap of two can open
 * streams one after another all day, and {@code /metrics} shows no place taken once they are gone.
 */
@ExtendWith(SharedKafka.class)
class StreamPlacesTest {

  private static final int PER_SUBJECT = 2;
  private static final int ROUNDS = 3 * PER_SUBJECT; // well past the cap: a leak of one place per stream shows
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static TokenrailStack stack;
  private static GatewayVerticle gateway;
  private static String base;
  private static String token;
  private static OpenAIClient client;

  @BeforeAll
  static void start() {
    stack = TokenrailStack.start(ModelSettings.demo(1_000, 0), 0);
    gateway = TokenrailStack.startGateway(stack.vertx(), TokenrailStack.gatewayConfig(stack.kafka())
        .withAuth(TestTokens.SETTINGS).withLimits(new ClientLimits(0, PER_SUBJECT, 1_000)));
    base = "http://localhost:" + gateway.actualPort();
    token = new TestTokens(stack.vertx()).forSubject("placer");
    client = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey(token).maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    stack.close();
  }

  @Test
  void completionsOneAfterAnotherNeverRunOutOfPlaces() {
    for (int i = 0; i < ROUNDS; i++) {
      ChatCompletion whole = client.chat().completions().create(ChatCompletionCreateParams.builder()
          .model("demo").addUserMessage("#tokens=4 whole " + i).build());
      assertThat(whole.choices().get(0).message().content().orElse("")).as("completion %d", i).isNotBlank();
      assertThat(whole.choices().get(0).finishReason().asString()).isEqualTo("stop");
    }
    for (int i = 0; i < ROUNDS; i++) {
      String text;
      try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
          ChatCompletionCreateParams.builder().model("demo").addUserMessage("#tokens=4 streamed " + i).build())) {
        text = stream.stream().flatMap(c -> c.choices().stream()).map(c -> c.delta().content().orElse(""))
            .collect(Collectors.joining());
      }
      assertThat(text).as("streamed completion %d", i).isNotBlank();
    }
    assertNoPlaceTaken();
  }

  @Test
  void streamsTheClientClosesAndStreamsRefusedWithAnErrorBodyGiveTheirPlaceBack() {
    for (int i = 0; i < ROUNDS; i++) {
      try (SseClient stream = SseClient.connect(eventsUrl("closed-" + i), Http.bearer(token))) {
        assertThat(stream.response().statusCode()).as("stream %d", i).isEqualTo(200);
      }
      assertNoPlaceTaken(); // the server noticed the client go
    }
    String otherPartition = new EventId(1_000, 0).encode(); // no conversation lives there: 400 after admission
    for (int i = 0; i < ROUNDS; i++) {
      Http.Response refused = Http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(eventsUrl("refused")))
          .header("Authorization", "Bearer " + token).header("Last-Event-ID", otherPartition).build());
      assertThat(refused.status()).as("refusal %d", i).isEqualTo(400);
    }
    assertNoPlaceTaken();
  }

  @Test
  void resumedCompletionsThatTheServerFinishesGiveTheirPlaceBack() {
    String conversation = "resumed-completions";
    ChatCompletion first = client.chat().completions().create(ChatCompletionCreateParams.builder().model("demo")
        .addUserMessage("#tokens=6 to resume").putAdditionalHeader("X-Conversation-Id", conversation).build());
    String answer = first.choices().get(0).message().content().orElseThrow();
    // The conversation's events, to resume after the answer's start.
    String startId;
    try (SseClient replay = SseClient.connect(eventsUrl(conversation) + "?from=start", Http.bearer(token))) {
      List<SseClient.Event> events = replay.awaitTerminal(PATIENCE);
      startId = events.stream().filter(e -> e.type().equals("start")).findFirst().orElseThrow().id();
    }
    for (int i = 0; i < ROUNDS; i++) {
      Http.Response resumed = Http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/chat/completions"))
          .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
          .header("Last-Event-ID", startId)
          .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
              "{\"model\":\"demo\",\"stream\":true,\"conversation_id\":\"" + conversation
                  + "\",\"messages\":[{\"role\":\"user\",\"content\":\"resume\"}]}")).build());
      assertThat(resumed.status()).as("resume %d", i).isEqualTo(200);
      assertThat(resumed.body()).as("the resumed stream is the whole answer and ends").contains("data: [DONE]");
      String text = resumed.body().lines().filter(l -> l.startsWith("data: {"))
          .map(l -> new io.vertx.core.json.JsonObject(l.substring(6)).getJsonArray("choices"))
          .filter(c -> !c.isEmpty()).map(c -> c.getJsonObject(0).getJsonObject("delta").getString("content", ""))
          .collect(Collectors.joining());
      assertThat(text).isEqualTo(answer);
    }
    assertNoPlaceTaken();
  }

  private static String eventsUrl(String conversation) {
    return base + "/api/conversations/" + conversation + "/events";
  }

  /** Both the places admission counts and the streams delivery holds are back at 0 for this gateway. */
  private static void assertNoPlaceTaken() {
    await().atMost(PATIENCE).untilAsserted(() -> {
      Map<String, Double> gauges = gatewayGauges();
      assertThat(gauges).as("this gateway's gauges on /metrics")
          .containsEntry("tokenrail_stream_places", 0.0).containsEntry("tokenrail_sse_connections", 0.0);
    });
  }

  private static Map<String, Double> gatewayGauges() {
    String tag = "gateway=\"" + gateway.instanceId() + "\"";
    return Http.get(base + "/metrics", token).body().lines()
        .filter(l -> (l.startsWith("tokenrail_stream_places{") || l.startsWith("tokenrail_sse_connections{")) && l.contains(tag))
        .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('{')),
            l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))));
  }
}
