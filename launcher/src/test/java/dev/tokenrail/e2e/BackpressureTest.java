package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.model.ModelSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A worker runs at most its maximum of generations at once and takes the rest in turn; none is dropped. */
@ExtendWith(SharedKafka.class)
class BackpressureTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final int MAX = 2;
  private static TokenrailStack stack;

  @BeforeAll
  static void start() {
    stack = TokenrailStack.start(kafka -> WorkerConfig.of(kafka, ModelSettings.demo(200, 10), MAX), 1);
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @Test
  void atMostTheMaximumRunAtOnceAndEveryRequestIsAnswered() {
    List<SseClient> clients = new ArrayList<>();
    List<String> messageIds = new ArrayList<>();
    try {
      for (int i = 0; i < 6; i++) {
        clients.add(SseClient.connect(stack.baseUrl() + "/api/conversations/busy-" + i + "/events"));
        messageIds.add(Http.postMessage(stack.baseUrl(), "busy-" + i, "#tokens=100 one of six"));
      }
      List<long[]> intervals = new ArrayList<>(); // [start ts, done ts] as the worker stamped them
      for (int i = 0; i < 6; i++) {
        List<SseClient.Event> events = clients.get(i).awaitTerminal(PATIENCE);
        assertCompleteAnswer(events, "busy-" + i, messageIds.get(i), TokenrailStack.PARTITIONS);
        intervals.add(new long[] {events.get(0).data().getLong("ts"), events.get(events.size() - 1).data().getLong("ts")});
      }
      for (long[] probe : intervals) { // at every start, how many were running (started, not yet done)?
        long running = intervals.stream().filter(iv -> iv[0] <= probe[0] && probe[0] < iv[1]).count();
        assertThat(running).isLessThanOrEqualTo(MAX);
      }
    } finally {
      clients.forEach(SseClient::close);
    }
  }
}
