package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.ChatSettings;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.WorkerVerticle;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A conversation's memory lives in Kafka: each turn is sent to the model with the earlier ones, whichever
 * worker answers it — the same one, one the partition moved to, or one started after all others stopped.
 * The model is langchain4j's real OpenAI client against the test's OpenAI-compatible server, which echoes
 * each message so every answer is known.
 */
@ExtendWith(SharedKafka.class)
class ConversationMemoryTest {

  private static final Duration PATIENCE = Duration.ofSeconds(90);

  private static OpenAiCompatibleServer provider;
  private static TokenrailStack stack; // gateway only: each test runs its workers

  @BeforeAll
  static void start() {
    provider = new OpenAiCompatibleServer(prompt -> new OpenAiCompatibleServer.Script.Stream(
        List.of("You", " said:", " " + prompt), 1));
    stack = TokenrailStack.withoutWorker(1);
  }

  @AfterAll
  static void stop() {
    stack.close();
    provider.close();
  }

  @Test
  void threeMessagesPostedAtOnceAreAnsweredInOrderEachWithTheTurnsBefore() {
    Vertx worker = startWorker();
    try (SseClient client = SseClient.connect(eventsUrl("memory-three"))) {
      List<String> ids = new ArrayList<>();
      for (String text : List.of("My name is Ada.", "I like trains.", "What do you know about me?")) {
        ids.add(Http.postMessage(stack.baseUrl(), "memory-three", text));
      }
      awaitDone(client, ids.get(2));

      assertThat(requestFor("What do you know about me?")).isEqualTo(conversation(
          "user", "My name is Ada.", "assistant", "You said: My name is Ada.",
          "user", "I like trains.", "assistant", "You said: I like trains.",
          "user", "What do you know about me?"));
      // Answered one after another: the second turn was sent the first one's finished answer.
      assertThat(requestFor("I like trains.")).isEqualTo(conversation(
          "user", "My name is Ada.", "assistant", "You said: My name is Ada.", "user", "I like trains."));
    } finally {
      TokenrailStack.await(worker.close());
    }
  }

  @Test
  void memorySurvivesThePartitionMovingToAnotherWorkerAndARestartOfAllWorkers() {
    String conversation = "memory-moves";
    try (SseClient client = SseClient.connect(eventsUrl(conversation))) {
      Vertx first = startWorker();
      awaitDone(client, Http.postMessage(stack.baseUrl(), conversation, "Remember the number 7."));

      Vertx second = startWorker(); // joins the group while the first still owns the partition
      TokenrailStack.await(first.close()); // the partition moves to the second, which restores its memory
      awaitDone(client, Http.postMessage(stack.baseUrl(), conversation, "And the colour blue."));
      TokenrailStack.await(second.close());

      Vertx third = startWorker(); // no worker was running: everything is restored from Kafka
      try {
        awaitDone(client, Http.postMessage(stack.baseUrl(), conversation, "What did I ask you to remember?"));
      } finally {
        TokenrailStack.await(third.close());
      }
    }
    assertThat(requestFor("And the colour blue.")).isEqualTo(conversation(
        "user", "Remember the number 7.", "assistant", "You said: Remember the number 7.",
        "user", "And the colour blue."));
    assertThat(requestFor("What did I ask you to remember?")).isEqualTo(conversation(
        "user", "Remember the number 7.", "assistant", "You said: Remember the number 7.",
        "user", "And the colour blue.", "assistant", "You said: And the colour blue.",
        "user", "What did I ask you to remember?"));
  }

  /**
   * A worker that holds one conversation's turns at a time lets the other's go each time it answers; the
   * next message of the one let go is still sent its whole history, read back from the memory topic, and
   * the worker's gauges show the bound held.
   */
  @Test
  void aConversationWhoseTurnsTheWorkerLetGoIsReadBackWithItsWholeHistory() {
    Vertx worker = Vertx.vertx();
    WorkerVerticle bounded = new WorkerVerticle(workerConfig(ChatSettings.DEFAULT.withConversationsInMemory(1)));
    TokenrailStack.await(worker.deployVerticle(bounded));
    try (SseClient a = SseClient.connect(eventsUrl("memory-bound-a"));
         SseClient b = SseClient.connect(eventsUrl("memory-bound-b"))) {
      awaitDone(a, Http.postMessage(stack.baseUrl(), "memory-bound-a", "Alpha one."));
      awaitDone(b, Http.postMessage(stack.baseUrl(), "memory-bound-b", "Bravo one.")); // lets a's turns go
      awaitDone(a, Http.postMessage(stack.baseUrl(), "memory-bound-a", "Alpha two.")); // a read back, b let go
      awaitDone(b, Http.postMessage(stack.baseUrl(), "memory-bound-b", "Bravo two."));
      awaitDone(a, Http.postMessage(stack.baseUrl(), "memory-bound-a", "Alpha three."));

      assertThat(requestFor("Alpha three.")).isEqualTo(conversation(
          "user", "Alpha one.", "assistant", "You said: Alpha one.",
          "user", "Alpha two.", "assistant", "You said: Alpha two.",
          "user", "Alpha three."));
      assertThat(requestFor("Bravo two.")).isEqualTo(conversation(
          "user", "Bravo one.", "assistant", "You said: Bravo one.", "user", "Bravo two."));
      // This JVM's registry (the gateway serves it) has every live worker's meters, each tagged with its id.
      String metrics = Http.get(stack.baseUrl() + "/metrics").body();
      String id = bounded.instanceId();
      assertThat(series(metrics, "tokenrail_memory_conversations_held", id)).containsExactly(1.0);
      // Each message after the first let the other conversation go (and the restore may have handed over one).
      assertThat(series(metrics, "tokenrail_memory_conversations_evicted_total", id)).singleElement()
          .satisfies(evicted -> assertThat(evicted).isGreaterThanOrEqualTo(4.0));
    } finally {
      TokenrailStack.await(worker.close());
    }
  }

  private static List<Double> series(String metrics, String name, String worker) {
    List<Double> values = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*worker=\"" + Pattern.quote(worker) + "\"[^}]*} ([-+0-9.eE]+)$")
        .matcher(metrics);
    while (m.find()) {
      values.add(Double.parseDouble(m.group(1)));
    }
    return values;
  }

  private static Vertx startWorker() {
    return startWorker(ChatSettings.DEFAULT);
  }

  private static Vertx startWorker(ChatSettings chat) {
    Vertx vertx = Vertx.vertx();
    TokenrailStack.await(vertx.deployVerticle(new WorkerVerticle(workerConfig(chat))));
    return vertx;
  }

  private static WorkerConfig workerConfig(ChatSettings chat) {
    return WorkerConfig.of(stack.kafka(), ModelSettings.openAi(provider.baseUrl(), "sk-test", "test-model"), 1_000)
        .withDrainTimeout(Duration.ZERO).withChat(chat);
  }

  private static void awaitDone(SseClient client, String messageId) {
    client.awaitEvent(e -> e.type().equals("done") && messageId.equals(e.data().getString("messageId")), PATIENCE);
  }

  /** The messages of the one request whose last user message is {@code text}, as role/content pairs. */
  private static JsonArray requestFor(String text) {
    List<OpenAiCompatibleServer.Recorded> matching = provider.requests().stream()
        .filter(r -> r.lastUserText().equals(text)).toList();
    assertThat(matching).as("requests for '%s'", text).hasSize(1);
    JsonArray pairs = new JsonArray();
    for (Object m : matching.get(0).messages()) {
      JsonObject message = (JsonObject) m;
      pairs.add(new JsonObject().put("role", message.getString("role")).put("content", message.getValue("content")));
    }
    return pairs;
  }

  private static JsonArray conversation(String... roleThenContent) {
    JsonArray pairs = new JsonArray();
    for (int i = 0; i < roleThenContent.length; i += 2) {
      pairs.add(new JsonObject().put("role", roleThenContent[i]).put("content", roleThenContent[i + 1]));
    }
    return pairs;
  }

  private static String eventsUrl(String conversation) {
    return stack.baseUrl() + "/api/conversations/" + conversation + "/events";
  }
}
