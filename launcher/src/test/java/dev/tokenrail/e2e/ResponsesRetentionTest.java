package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.protocol.EventId;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * A Responses stream read again after retention removed the response's first events: its numbers count from
 * that first event, so what is left can't be numbered as before — the stream ends with an {@code error} event
 * ({@code events_expired}) instead of renumbering silently. Its own topics: it deletes the start of a partition.
 */
@ExtendWith(SharedKafka.class)
class ResponsesRetentionTest {

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
  void aResponseWhoseStartIsNoLongerRetainedEndsWithEventsExpired() throws Exception {
    JsonObject created = Http.postJson(stack.baseUrl() + "/v1/responses",
        new JsonObject().put("model", "m").put("input", "#tokens=30 soon partly gone").encode()).json();
    assertThat(created.getString("status")).isEqualTo("completed");
    String id = created.getString("id");
    String conversation = id.substring("resp_".length() + 32);
    List<SseClient.Event> original;
    try (SseClient replay = SseClient.connect(stack.baseUrl() + "/api/conversations/" + conversation + "/events?from=start")) {
      original = replay.awaitTerminal(PATIENCE);
    }
    String before = stream(id);
    assertThat(before).contains("event: response.completed").doesNotContain("events_expired");

    EventId firstKept = EventId.parse(original.get(10).id()).orElseThrow();
    try (Admin admin = Admin.create(new HashMap<String, Object>(stack.kafka().adminConfig()))) {
      admin.deleteRecords(Map.of(new TopicPartition(stack.kafka().topics().events(), firstKept.partition()),
          RecordsToDelete.beforeOffset(firstKept.offset()))).all().get(30, TimeUnit.SECONDS);
    }

    String after = stream(id);
    assertThat(after).contains("event: error").contains("\"code\":\"events_expired\"")
        .as("no event renumbered from the middle").doesNotContain("response.output_text.delta");
  }

  /** The whole stream of a response read again (it ends: the response has ended, or it can't be read). */
  private static String stream(String id) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(stack.baseUrl()
        + "/v1/responses/" + id + "?stream=true")).timeout(PATIENCE).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }
}
