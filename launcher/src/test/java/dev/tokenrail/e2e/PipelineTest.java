package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.testkit.Answers;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.model.ModelSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The pipeline end to end: HTTP in, worker, Kafka, gateway, SSE out — with the demo model. */
@ExtendWith(SharedKafka.class)
class PipelineTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static TokenrailStack stack;

  @BeforeAll
  static void start() {
    stack = TokenrailStack.start(ModelSettings.demo(1_000, 10));
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @Test
  void aMessageStreamsStartThenEveryTokenInOrderThenDoneWithTheWholeText() {
    String conversation = "pipeline-basic";
    try (SseClient client = SseClient.connect(eventsUrl(conversation))) {
      assertThat(client.response().headers().firstValue("Content-Type")).hasValue("text/event-stream; charset=utf-8");
      assertThat(client.response().headers().firstValue("Cache-Control")).hasValue("no-cache");
      assertThat(client.response().headers().firstValue("X-Accel-Buffering")).hasValue("no");

      String messageId = Http.postMessage(stack.baseUrl(), conversation, "#tokens=40 hello");
      List<SseClient.Event> events = client.awaitTerminal(PATIENCE);

      String text = assertCompleteAnswer(events, conversation, messageId, TokenrailStack.PARTITIONS);
      assertThat(Answers.tokenCount(events, messageId)).isEqualTo(40);
      assertThat(events.get(0).data().getString("model")).isEqualTo("demo");
      assertThat(text).startsWith("I am the Tokenrail demo model");
      SseClient.Event usage = events.stream().filter(e -> e.type().equals("usage")).findFirst().orElseThrow();
      assertThat(usage.data().getLong("outputTokens")).isEqualTo(40);
    }
  }

  @Test
  void fiftyConcurrentConversationsEachReceiveOnlyTheirOwnCompleteAnswer() {
    int conversations = 50;
    List<SseClient> clients = new ArrayList<>();
    Map<String, String> messageIds = new ConcurrentHashMap<>();
    try {
      for (int i = 0; i < conversations; i++) {
        clients.add(SseClient.connect(eventsUrl("many-" + i)));
      }
      IntStream.range(0, conversations).parallel().forEach(i ->
          messageIds.put("many-" + i, Http.postMessage(stack.baseUrl(), "many-" + i, "#tokens=" + (20 + i) + " conversation " + i)));
      for (int i = 0; i < conversations; i++) {
        String conversation = "many-" + i;
        List<SseClient.Event> events = clients.get(i).awaitTerminal(PATIENCE);
        assertCompleteAnswer(events, conversation, messageIds.get(conversation), TokenrailStack.PARTITIONS);
        assertThat(Answers.tokenCount(events, messageIds.get(conversation))).isEqualTo(20 + i);
      }
    } finally {
      clients.forEach(SseClient::close);
    }
  }

  @Test
  void aLongGenerationDoesNotDelayAShortOneOnTheSamePartition() {
    String longOne = "long-answer";
    String shortOne = samePartitionAs(longOne);
    try (SseClient longClient = SseClient.connect(eventsUrl(longOne));
         SseClient shortClient = SseClient.connect(eventsUrl(shortOne))) {
      // 100,000 tokens at 1,000/s: about 100 s, far longer than this test runs.
      String longId = Http.postMessage(stack.baseUrl(), longOne, "#tokens=100000 a very long answer");
      longClient.awaitEvent(e -> e.type().equals("token"), PATIENCE);
      String shortId = Http.postMessage(stack.baseUrl(), shortOne, "#tokens=5 a short one");

      assertCompleteAnswer(shortClient.awaitTerminal(PATIENCE), shortOne, shortId, TokenrailStack.PARTITIONS);
      assertThat(longClient.events()).as("the long answer is still streaming")
          .noneMatch(e -> e.type().equals("done"))
          .anyMatch(e -> e.type().equals("token") && longId.equals(e.data().getString("messageId")));
    }
  }

  @Test
  void everyClientOfAConversationGetsTheWholeStream() {
    String conversation = "two-tabs";
    try (SseClient tab1 = SseClient.connect(eventsUrl(conversation));
         SseClient tab2 = SseClient.connect(eventsUrl(conversation))) {
      String messageId = Http.postMessage(stack.baseUrl(), conversation, "#tokens=25 for both tabs");
      String text1 = assertCompleteAnswer(tab1.awaitTerminal(PATIENCE), conversation, messageId, TokenrailStack.PARTITIONS);
      String text2 = assertCompleteAnswer(tab2.awaitTerminal(PATIENCE), conversation, messageId, TokenrailStack.PARTITIONS);
      assertThat(text2).isEqualTo(text1);
      assertThat(tab2.events()).extracting(SseClient.Event::id).isEqualTo(tab1.events().stream().map(SseClient.Event::id).toList());
    }
  }

  private static String samePartitionAs(String conversation) {
    int partition = Partitioning.partitionOf(conversation, TokenrailStack.PARTITIONS);
    return IntStream.range(0, 10_000).mapToObj(i -> "short-answer-" + i)
        .filter(c -> Partitioning.partitionOf(c, TokenrailStack.PARTITIONS) == partition)
        .findFirst().orElseThrow();
  }

  private static String eventsUrl(String conversation) {
    return stack.baseUrl() + "/api/conversations/" + conversation + "/events";
  }
}
