package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.testkit.Answers;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.WorkerVerticle;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A message waiting behind its conversation's running one can be cancelled before it starts: it ends with a
 * lone {@code cancelled} (no start, no token), the running answer is not disturbed, the transcript says
 * so, the conversation's queue moves on, and the worker commits past it — a worker that takes the partition
 * over later does not answer it.
 */
@ExtendWith(SharedKafka.class)
class CancelQueuedMessageTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  /** Message 1's answer: 1,200 tokens at 200 a second, about 6 s — ample time to queue and cancel message 2. */
  private static final int RUNNING_TOKENS = 1_200;
  private static TokenrailStack stack; // gateway only: the test runs its workers, to replace one

  @BeforeAll
  static void start() {
    stack = TokenrailStack.withoutWorker(1);
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  /*
   * How this fails: if the cancel of a queued message were ignored, message 2 would start once message 1
   * ended — a start and tokens instead of a lone cancelled (checked in a scratch copy with the worker's
   * queued-cancel branch disabled: fails at "events of the cancelled queued message"). Taken for a cancel of
   * the running message, message 1 would end cancelled. Left in its conversation's queue, or taken out of it
   * together with what waits behind it, message 2 would start after message 1, or messages 3 and 4 would
   * never be answered. If its request's offset were never reported finished, the committed offset would stop
   * short of the partition's end (checked in a scratch copy with that finished() removed) and a worker taking
   * the partition over would read message 2 again.
   */
  @Test
  void aQueuedMessageCancelledBeforeItStartsEndsCancelledAloneAndTheConversationMovesOn() {
    String conversation = "cancel-queued";
    WorkerConfig config = WorkerConfig.of(stack.kafka(), ModelSettings.demo(200, 10), 1_000).withDrainTimeout(Duration.ZERO);
    Vertx firstWorker = Vertx.vertx();
    TokenrailStack.await(firstWorker.deployVerticle(new WorkerVerticle(config)));
    boolean firstWorkerClosed = false;
    try (SseClient client = SseClient.connect(eventsUrl(conversation))) {
      String first = Http.postMessage(stack.baseUrl(), conversation, "#tokens=" + RUNNING_TOKENS + " the running one");
      client.awaitEvent(e -> e.type().equals("token") && first.equals(e.data().getString("messageId")), PATIENCE);
      String second = Http.postMessage(stack.baseUrl(), conversation, "#tokens=50 the queued one");
      String third = Http.postMessage(stack.baseUrl(), conversation, "#tokens=20 queued behind it");
      // The worker has taken messages 2 and 3 and parked them behind message 1: their pending turns are in the transcript.
      await().atMost(PATIENCE).until(() -> "pending".equals(answerStatus(conversation, second))
          && "pending".equals(answerStatus(conversation, third)));
      assertThat(client.events()).as("only message 1 has started")
          .allSatisfy(e -> assertThat(e.data().getString("messageId")).isEqualTo(first));

      Http.Response cancel = cancel(conversation, second);
      assertThat(cancel.status()).as(cancel.body()).isEqualTo(202);
      // Posted after the cancel is stored, so the worker reads it after the cancel: it queues behind message 3.
      String fourth = Http.postMessage(stack.baseUrl(), conversation, "#tokens=30 posted after the cancel");
      List<SseClient.Event> atCancel = client.awaitEvent(e -> isTerminal(e) && second.equals(e.data().getString("messageId")),
          PATIENCE);
      assertCancelledAlone(atCancel, second);
      assertThat(atCancel).as("message 1 was still running when message 2's cancel took effect")
          .noneMatch(e -> first.equals(e.data().getString("messageId")) && isTerminal(e));

      List<SseClient.Event> events = client.awaitEvent(
          e -> e.type().equals("done") && fourth.equals(e.data().getString("messageId")), PATIENCE);
      String firstText = assertCompleteAnswer(events, conversation, first, TokenrailStack.PARTITIONS);
      assertThat(Answers.tokenCount(events, first)).isEqualTo(RUNNING_TOKENS);
      String thirdText = assertCompleteAnswer(events, conversation, third, TokenrailStack.PARTITIONS);
      assertThat(Answers.tokenCount(events, third)).isEqualTo(20);
      String fourthText = assertCompleteAnswer(events, conversation, fourth, TokenrailStack.PARTITIONS);
      assertThat(Answers.tokenCount(events, fourth)).isEqualTo(30);
      assertCancelledAlone(events, second);
      assertThat(events).extracting(SseClient.Event::id).doesNotHaveDuplicates();
      assertThat(events.stream().filter(e -> !second.equals(e.data().getString("messageId")))
          .map(e -> e.data().getString("messageId")).distinct().toList())
          .as("the answered messages, one after another").containsExactly(first, third, fourth);

      JsonArray messages = transcript(conversation).getJsonArray("messages");
      assertThat(messages).hasSize(8);
      assertTurn(messages, 0, first, "#tokens=" + RUNNING_TOKENS + " the running one", "done", firstText);
      assertTurn(messages, 2, second, "#tokens=50 the queued one", "cancelled", "");
      assertTurn(messages, 4, third, "#tokens=20 queued behind it", "done", thirdText);
      assertTurn(messages, 6, fourth, "#tokens=30 posted after the cancel", "done", fourthText);
      assertThat(cancel(conversation, second).status()).as("cancelling it again: it has ended").isEqualTo(409);

      // The worker committed everything of the conversation's requests partition: messages, the cancel, the markers.
      awaitCommittedToTheEnd(Partitioning.partitionOf(conversation, TokenrailStack.PARTITIONS));

      // A new worker takes the partition over: nothing of the four is answered again; a new message is.
      TokenrailStack.await(firstWorker.close());
      firstWorkerClosed = true;
      Vertx secondWorker = Vertx.vertx();
      try {
        TokenrailStack.await(secondWorker.deployVerticle(new WorkerVerticle(config)));
        String fifth = Http.postMessage(stack.baseUrl(), conversation, "#tokens=10 to the next worker");
        List<SseClient.Event> all = client.awaitEvent(
            e -> e.type().equals("done") && fifth.equals(e.data().getString("messageId")), PATIENCE);
        assertCompleteAnswer(all, conversation, fifth, TokenrailStack.PARTITIONS);
        assertThat(all.subList(events.size(), all.size())).as("after the restart, only message 5")
            .allSatisfy(e -> assertThat(e.data().getString("messageId")).isEqualTo(fifth));
        assertThat(transcript(conversation).getJsonArray("messages").getJsonObject(3).getString("status"))
            .isEqualTo("cancelled");
      } finally {
        TokenrailStack.await(secondWorker.close());
      }
    } finally {
      if (!firstWorkerClosed) {
        TokenrailStack.await(firstWorker.close());
      }
    }
  }

  /** The message's only event is {@code cancelled}: seq 0 of attempt 1, no start, no token. */
  private static void assertCancelledAlone(List<SseClient.Event> events, String messageId) {
    List<SseClient.Event> mine = events.stream().filter(e -> messageId.equals(e.data().getString("messageId"))).toList();
    assertThat(mine).extracting(SseClient.Event::type).as("events of the cancelled queued message")
        .containsExactly("cancelled");
    assertThat(mine.get(0).data().getLong("seq")).isZero();
    assertThat(mine.get(0).data().getInteger("attempt")).isEqualTo(1);
  }

  private static void assertTurn(JsonArray messages, int index, String messageId, String userText, String status,
                                 String answer) {
    assertThat(messages.getJsonObject(index)).isEqualTo(new JsonObject().put("messageId", messageId).put("role", "user")
        .put("text", userText).put("status", "sent"));
    JsonObject assistant = messages.getJsonObject(index + 1);
    assertThat(assistant.getString("messageId")).isEqualTo(messageId);
    assertThat(assistant.getString("role")).isEqualTo("assistant");
    assertThat(assistant.getString("status")).as("status of %s", messageId).isEqualTo(status);
    assertThat(assistant.getString("text")).as("text of %s", messageId).isEqualTo(answer);
  }

  private static boolean isTerminal(SseClient.Event e) {
    return List.of("done", "error", "cancelled").contains(e.type());
  }

  /** The worker group's committed offset of the requests partition reaches the partition's end. */
  private static void awaitCommittedToTheEnd(int partition) {
    TopicPartition tp = new TopicPartition(stack.kafka().topics().requests(), partition);
    try (Admin admin = Admin.create(new HashMap<String, Object>(stack.kafka().adminConfig()))) {
      await().atMost(PATIENCE).untilAsserted(() -> {
        long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get(10, TimeUnit.SECONDS).get(tp).offset();
        OffsetAndMetadata committed = admin.listConsumerGroupOffsets(WorkerConfig.GROUP_ID)
            .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).get(tp);
        assertThat(committed).as("committed offset of %s", tp).isNotNull();
        assertThat(committed.offset()).as("committed offset of %s (the partition ends at %d)", tp, end).isEqualTo(end);
      });
    }
  }

  private static JsonObject transcript(String conversation) {
    Http.Response r = Http.get(stack.baseUrl() + "/api/conversations/" + conversation);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  /** The status of the message's assistant turn in the transcript, or null while it is not there. */
  private static String answerStatus(String conversation, String messageId) {
    Http.Response r = Http.get(stack.baseUrl() + "/api/conversations/" + conversation);
    if (r.status() != 200) {
      return null;
    }
    JsonArray messages = r.json().getJsonArray("messages");
    for (int i = 0; i < messages.size(); i++) {
      JsonObject m = messages.getJsonObject(i);
      if (messageId.equals(m.getString("messageId")) && "assistant".equals(m.getString("role"))) {
        return m.getString("status");
      }
    }
    return null;
  }

  private static Http.Response cancel(String conversation, String messageId) {
    return Http.postJson(stack.baseUrl() + "/api/conversations/" + conversation + "/cancel",
        new JsonObject().put("messageId", messageId).encode());
  }

  private static String eventsUrl(String conversation) {
    return stack.baseUrl() + "/api/conversations/" + conversation + "/events";
  }
}
