package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.protocol.EventId;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.model.ModelSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A position older than what Kafka still holds gets a {@code reset}, then the oldest retained events —
 * never a silent skip. Its own topics: it deletes the start of a partition.
 */
@ExtendWith(SharedKafka.class)
class RetentionResetTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static TokenrailStack stack;

  @BeforeAll
  static void start() {
    stack = TokenrailStack.startWithRecordPerToken(ModelSettings.demo(1_000, 10));
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @Test
  void resumingFromADeletedPositionSendsResetThenTheOldestRetainedEvents() throws Exception {
    String conversation = "retention-edge";
    List<SseClient.Event> original;
    try (SseClient client = SseClient.connect(eventsUrl(conversation))) {
      Http.postMessage(stack.baseUrl(), conversation, "#tokens=30 soon partly gone");
      original = client.awaitTerminal(PATIENCE);
    }
    EventId early = EventId.parse(original.get(3).id()).orElseThrow();
    EventId firstKept = EventId.parse(original.get(10).id()).orElseThrow();
    try (Admin admin = Admin.create(new HashMap<String, Object>(stack.kafka().adminConfig()))) {
      admin.deleteRecords(Map.of(new TopicPartition(stack.kafka().topics().events(), firstKept.partition()),
          RecordsToDelete.beforeOffset(firstKept.offset()))).all().get(30, TimeUnit.SECONDS);
    }

    try (SseClient resumed = SseClient.connect(eventsUrl(conversation), Map.of("Last-Event-ID", early.encode()))) {
      List<SseClient.Event> events = resumed.awaitTerminal(PATIENCE);
      SseClient.Event reset = events.get(0);
      assertThat(reset.type()).isEqualTo("reset");
      assertThat(reset.id()).as("a reset is not stored, so it has no id").isNull();
      assertThat(reset.data().getString("reason")).contains("no longer retained");
      assertThat(events.subList(1, events.size())).extracting(SseClient.Event::id)
          .isEqualTo(original.subList(10, original.size()).stream().map(SseClient.Event::id).toList());
    }

    try (SseClient replay = SseClient.connect(eventsUrl(conversation) + "?from=start")) {
      List<SseClient.Event> events = replay.awaitTerminal(PATIENCE);
      assertThat(events.get(0).type()).isEqualTo("reset");
      assertThat(events.get(1).id()).isEqualTo(original.get(10).id());
    }
  }

  private static String eventsUrl(String conversation) {
    return stack.baseUrl() + "/api/conversations/" + conversation + "/events";
  }
}
