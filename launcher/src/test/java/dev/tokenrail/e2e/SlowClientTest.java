package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.testkit.Answers;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.testkit.StalledSseSocket;
import dev.tokenrail.worker.model.ModelSettings;
import java.net.URI;
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

/**
 * A client that stops reading is not buffered for: the gateway stops writing to it, other clients are
 * not delayed, and when it reads again it continues from its last delivered event, out of the log.
 */
@ExtendWith(SharedKafka.class)
class SlowClientTest {

  private static final Duration PATIENCE = Duration.ofSeconds(90);
  private static TokenrailStack stack;

  @BeforeAll
  static void start() {
    stack = TokenrailStack.start(ModelSettings.demo(2_000, 10));
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @Test
  void aStalledClientIsContinuedFromTheLogWhileFiftyOthersStreamNormally() throws Exception {
    String slow = "stalled-reader";
    URI base = URI.create(stack.baseUrl());
    GatewayVerticle gateway = stack.gateway(0);
    try (StalledSseSocket stalled = StalledSseSocket.open(base.getHost(), base.getPort(), "/api/conversations/" + slow + "/events")) {
      await().atMost(PATIENCE).until(() -> TokenrailStack.await(gateway.streamStats()).open() == 1);
      // 20,000 tokens at 2,000/s: megabytes of frames against a 4 KiB receive window.
      String slowMessage = Http.postMessage(stack.baseUrl(), slow, "#tokens=20000 more than the socket takes");
      await().atMost(PATIENCE).until(() -> TokenrailStack.await(gateway.streamStats()).behind() == 1);

      List<SseClient> others = new ArrayList<>();
      Map<String, String> messageIds = new ConcurrentHashMap<>();
      try {
        for (int i = 0; i < 50; i++) {
          others.add(SseClient.connect(stack.baseUrl() + "/api/conversations/meanwhile-" + i + "/events"));
        }
        IntStream.range(0, 50).parallel().forEach(i -> messageIds.put("meanwhile-" + i,
            Http.postMessage(stack.baseUrl(), "meanwhile-" + i, "#tokens=40 while one client stalls " + i)));
        for (int i = 0; i < 50; i++) {
          assertCompleteAnswer(others.get(i).awaitTerminal(PATIENCE), "meanwhile-" + i, messageIds.get("meanwhile-" + i),
              TokenrailStack.PARTITIONS);
        }
      } finally {
        others.forEach(SseClient::close);
      }
      assertThat(TokenrailStack.await(gateway.streamStats()).behind()).as("still stalled, still not queued for").isEqualTo(1);

      try (SseClient resumed = stalled.resume()) {
        List<SseClient.Event> events = resumed.awaitEvent(
            e -> e.type().equals("done") && e.data().getString("messageId").equals(slowMessage), PATIENCE);
        assertCompleteAnswer(events, slow, slowMessage, TokenrailStack.PARTITIONS);
        assertThat(Answers.tokenCount(events, slowMessage)).isEqualTo(20_000);
        assertThat(events).extracting(SseClient.Event::id).doesNotHaveDuplicates();
      }
    }
  }
}
