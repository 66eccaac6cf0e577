package dev.tokenrail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.protocol.EventId;
import dev.tokenrail.protocol.Partitioning;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.stream.Collectors;

/** Content checks of one message's stream, as a client sees it. */
public final class Answers {

  private Answers() {
  }

  /**
   * Orders two ids of one partition by position: by offset, and inside a record holding a run of tokens by part, the
   * run's last token (whose id names the whole record) after the others.
   */
  public static int positionOrder(EventId a, EventId b) {
    int byOffset = Long.compare(a.offset(), b.offset());
    return byOffset != 0 ? byOffset : Integer.compare(rank(a), rank(b));
  }

  private static int rank(EventId id) {
    return id.part() == EventId.WHOLE ? Integer.MAX_VALUE : id.part();
  }

  /**
   * Asserts that {@code events} hold exactly one complete attempt at answering {@code messageId}: {@code start}, the
   * tokens (and tool calls with their results) with seq 1, 2, 3… and nothing missing or repeated, optionally
   * {@code usage}, then {@code done}
   * whose text equals the concatenated tokens; ids strictly increasing ({@link #positionOrder}), in the conversation's
   * partition.
   *
   * @return the answer's text
   */
  public static String assertCompleteAnswer(List<SseClient.Event> events, String conversationId, String messageId,
                                     int partitions) {
    return assertCompleteAnswer(events, conversationId, conversationId, messageId, partitions);
  }

  /** As above, for a conversation whose Kafka key is {@code kafkaKey} (scoped to a subject when auth is on). */
  public static String assertCompleteAnswer(List<SseClient.Event> events, String conversationId, String kafkaKey,
                                            String messageId, int partitions) {
    List<SseClient.Event> mine = events.stream()
        .filter(e -> messageId.equals(e.data().getString("messageId")))
        .toList();
    assertThat(events).as("events of other messages or conversations")
        .allSatisfy(e -> assertThat(e.data().getString("conversationId")).isEqualTo(conversationId));
    assertThat(mine).isNotEmpty();
    assertThat(mine.get(0).type()).isEqualTo("start");
    assertThat(mine.get(mine.size() - 1).type()).isEqualTo("done");

    int attempt = mine.get(0).data().getInteger("attempt");
    for (int i = 0; i < mine.size(); i++) {
      assertThat(mine.get(i).data().getLong("seq")).as("seq of event %d", i).isEqualTo(i);
      assertThat(mine.get(i).data().getInteger("attempt")).as("attempt of event %d", i).isEqualTo(attempt);
    }
    int expectedPartition = Partitioning.partitionOf(kafkaKey, partitions);
    EventId previous = null;
    for (SseClient.Event e : mine) {
      EventId id = EventId.parse(e.id()).orElseThrow(() -> new AssertionError("unparseable id " + e.id()));
      assertThat(id.partition()).isEqualTo(expectedPartition);
      if (previous != null) {
        assertThat(positionOrder(id, previous)).as("id %s after %s", id, previous).isPositive();
      }
      previous = id;
    }
    List<String> middle = mine.subList(1, mine.size() - 1).stream().map(SseClient.Event::type).toList();
    assertThat(middle).as("between start and done")
        .allMatch(t -> t.equals("token") || t.equals("reasoning") || t.equals("usage") || t.equals("tool_call")
            || t.equals("tool_result"));
    // A call of the client's tools has no result in the answer: the client's next message brings it.
    assertThat(mine.stream().filter(e -> e.type().equals("tool_result")).map(e -> e.data().getString("toolCallId")))
        .as("every call of the worker's tools has one result, and every result a call")
        .containsExactlyInAnyOrderElementsOf(mine.stream().filter(e -> e.type().equals("tool_call")
            && !e.data().getBoolean("client", false)).map(e -> e.data().getString("toolCallId")).toList());
    assertThat(middle.indexOf("usage")).as("usage, when present, comes last before done")
        .isIn(-1, middle.size() - 1);

    String tokens = mine.stream().filter(e -> e.type().equals("token"))
        .map(e -> e.data().getString("text")).collect(Collectors.joining());
    JsonObject end = mine.get(mine.size() - 1).data();
    String done = end.getString("text");
    assertThat(done).isEqualTo(tokens);
    boolean endsWithClientCalls = mine.stream().anyMatch(e -> e.type().equals("tool_call") && e.data().getBoolean("client", false));
    assertThat(end.getString("finishReason")).as("an answer ends with the client's calls, or with text")
        .isEqualTo(endsWithClientCalls ? "tool_calls" : end.getString("finishReason"));
    if (!endsWithClientCalls) {
      assertThat(done).isNotEmpty();
    }
    return done;
  }

  /** The events of {@code messageId} from its last {@code start} on: the attempt a client keeps showing. */
  public static List<SseClient.Event> lastAttempt(List<SseClient.Event> events, String messageId) {
    List<SseClient.Event> mine = events.stream().filter(e -> messageId.equals(e.data().getString("messageId"))).toList();
    int lastStart = -1;
    for (int i = 0; i < mine.size(); i++) {
      if (mine.get(i).type().equals("start")) {
        lastStart = i;
      }
    }
    assertThat(lastStart).as("a start event for %s", messageId).isNotNegative();
    return mine.subList(lastStart, mine.size());
  }

  public static long tokenCount(List<SseClient.Event> events, String messageId) {
    return events.stream()
        .filter(e -> e.type().equals("token") && messageId.equals(e.data().getString("messageId")))
        .count();
  }
}
