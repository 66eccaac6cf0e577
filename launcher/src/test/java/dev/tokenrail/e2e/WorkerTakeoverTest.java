package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static dev.tokenrail.testkit.Answers.lastAttempt;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.testkit.Answers;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.WorkerVerticle;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A worker that takes a partition over reads its markers: an unfinished answer is generated again as the
 * next attempt, and a message that already ended — re-delivered only because offsets commit in order —
 * is not generated again.
 */
@ExtendWith(SharedKafka.class)
class WorkerTakeoverTest {

  private static final Duration PATIENCE = Duration.ofSeconds(90);
  private static TokenrailStack stack; // gateway only: the test runs the workers

  @BeforeAll
  static void start() {
    stack = TokenrailStack.withoutWorker(1);
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @Test
  void theNextWorkerAnswersTheUnfinishedMessageAsAttemptTwoAndSkipsTheEndedOne() {
    String longOne = "takeover-long";
    int partition = Partitioning.partitionOf(longOne, TokenrailStack.PARTITIONS);
    String shortOne = IntStream.range(0, 10_000).mapToObj(i -> "takeover-short-" + i)
        .filter(c -> Partitioning.partitionOf(c, TokenrailStack.PARTITIONS) == partition).findFirst().orElseThrow();
    // No drain: closing the first worker then stops its generations at once, like a crash would.
    WorkerConfig config = WorkerConfig.of(stack.kafka(), ModelSettings.demo(200, 10), 1_000).withDrainTimeout(Duration.ZERO);

    Vertx first = Vertx.vertx();
    TokenrailStack.await(first.deployVerticle(new WorkerVerticle(config)));
    try (SseClient longClient = SseClient.connect(eventsUrl(longOne));
         SseClient shortClient = SseClient.connect(eventsUrl(shortOne))) {
      String longId = Http.postMessage(stack.baseUrl(), longOne, "#tokens=600 a long answer");
      longClient.awaitEvent(e -> e.type().equals("token"), PATIENCE);
      String shortId = Http.postMessage(stack.baseUrl(), shortOne, "#tokens=5 done before the crash");
      shortClient.awaitTerminal(PATIENCE);
      longClient.awaitEvent(e -> e.type().equals("token") && e.data().getLong("seq") >= 50, PATIENCE);

      TokenrailStack.await(first.close()); // the first worker goes away mid-answer
      Vertx second = Vertx.vertx();
      try {
        TokenrailStack.await(second.deployVerticle(new WorkerVerticle(config)));
        List<SseClient.Event> events = longClient.awaitEvent(
            e -> e.type().equals("done") && e.data().getInteger("attempt") == 2, PATIENCE);
        List<SseClient.Event> attempt2 = lastAttempt(events, longId);
        assertThat(attempt2.get(0).data().getInteger("attempt")).isEqualTo(2);
        assertCompleteAnswer(attempt2, longOne, longId, TokenrailStack.PARTITIONS);
        assertThat(Answers.tokenCount(attempt2, longId)).isEqualTo(600);

        // The short message ended before the crash: one start, one done, nothing generated again — checked
        // after the long answer's second attempt finished, which came after the short one was re-read.
        assertThat(shortClient.events()).filteredOn(e -> e.type().equals("start")).hasSize(1);
        assertThat(shortClient.events()).filteredOn(e -> e.type().equals("done")).hasSize(1);
        assertCompleteAnswer(shortClient.events(), shortOne, shortId, TokenrailStack.PARTITIONS);
      } finally {
        TokenrailStack.await(second.close());
      }
    }
  }

  @Test
  void aWorkerShutDownGracefullyFinishesWhatItRunsAndNothingIsAnsweredTwice() {
    String conversation = "drain-me";
    WorkerConfig config = WorkerConfig.of(stack.kafka(), ModelSettings.demo(200, 10), 1_000)
        .withDrainTimeout(Duration.ofSeconds(30));
    Vertx first = Vertx.vertx();
    TokenrailStack.await(first.deployVerticle(new WorkerVerticle(config)));
    try (SseClient client = SseClient.connect(eventsUrl(conversation))) {
      String messageId = Http.postMessage(stack.baseUrl(), conversation, "#tokens=300 finish me before you go");
      client.awaitEvent(e -> e.type().equals("token") && e.data().getLong("seq") >= 20, PATIENCE);

      TokenrailStack.await(first.close()); // SIGTERM: returns once the answer is done and committed
      assertThat(client.awaitTerminal(PATIENCE).get(client.events().size() - 1).type()).isEqualTo("done");

      Vertx second = Vertx.vertx();
      try {
        TokenrailStack.await(second.deployVerticle(new WorkerVerticle(config)));
        String next = Http.postMessage(stack.baseUrl(), conversation, "#tokens=3 after the restart");
        List<SseClient.Event> events = client.awaitEvent(
            e -> e.type().equals("done") && e.data().getString("messageId").equals(next), PATIENCE);
        assertThat(events).filteredOn(e -> e.type().equals("start") && e.data().getString("messageId").equals(messageId))
            .as("the drained answer is not generated again").hasSize(1);
        assertCompleteAnswer(events, conversation, messageId, TokenrailStack.PARTITIONS);
      } finally {
        TokenrailStack.await(second.close());
      }
    }
  }

  private static String eventsUrl(String conversation) {
    return stack.baseUrl() + "/api/conversations/" + conversation + "/events";
  }
}
