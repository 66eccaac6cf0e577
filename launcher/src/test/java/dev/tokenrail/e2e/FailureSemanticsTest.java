package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Cancel, stalled models and poison records, through langchain4j's real OpenAI client and a real broker. */
@ExtendWith(SharedKafka.class)
class FailureSemanticsTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final List<String> SLOW_TOKENS = IntStream.range(0, 200).mapToObj(i -> " t" + i).toList();

  private static OpenAiCompatibleServer model;
  private static TokenrailStack stack;

  @BeforeAll
  static void start() {
    java.util.concurrent.atomic.AtomicInteger flakyCalls = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger politeCalls = new java.util.concurrent.atomic.AtomicInteger();
    model = new OpenAiCompatibleServer(prompt -> {
      if (prompt.contains("retry after") && politeCalls.incrementAndGet() == 1) {
        return new OpenAiCompatibleServer.Script.Fail(429, "{\"error\":{\"message\":\"later\"}}", Map.of("Retry-After", "3"));
      }
      if (prompt.contains("flaky") && flakyCalls.incrementAndGet() <= 2) {
        return new OpenAiCompatibleServer.Script.Fail(429, "{\"error\":{\"message\":\"slow down\"}}");
      }
      if (prompt.contains("stall")) {
        return new OpenAiCompatibleServer.Script.Stall(List.of("one", " two", " three"));
      }
      if (prompt.contains("slow")) {
        return new OpenAiCompatibleServer.Script.Stream(SLOW_TOKENS, 50);
      }
      return new OpenAiCompatibleServer.Script.Stream(List.of("fine", "."), 1);
    });
    ModelSettings openAi = ModelSettings.openAi(model.baseUrl(), "sk-test", "test-model");
    stack = TokenrailStack.start(kafka -> WorkerConfig.of(kafka, openAi, 1_000).withIdleTimeout(Duration.ofSeconds(2)), 1);
  }

  @AfterAll
  static void stop() {
    stack.close();
    model.close();
  }

  @Test
  void cancelStopsTheModelStreamAndEndsTheAnswerWithCancelledAndNoTokenAfter() {
    String conversation = "cancel-me";
    try (SseClient client = SseClient.connect(eventsUrl(conversation))) {
      String messageId = Http.postMessage(stack.baseUrl(), conversation, "a slow answer");
      client.awaitEvent(e -> e.type().equals("token") && e.data().getLong("seq") >= 5, PATIENCE);
      int closedBefore = model.closedBeforeTheEnd();

      Http.Response cancel = cancel(conversation, messageId);
      assertThat(cancel.status()).isEqualTo(202);

      List<SseClient.Event> events = client.awaitTerminal(PATIENCE);
      SseClient.Event last = events.get(events.size() - 1);
      assertThat(last.type()).isEqualTo("cancelled");
      assertThat(events).filteredOn(e -> e.type().equals("token")).hasSizeLessThan(SLOW_TOKENS.size());
      await().atMost(PATIENCE).until(() -> model.closedBeforeTheEnd() > closedBefore);
      // Nothing follows the terminal event: another message's whole answer arrives, and nothing of this one.
      String next = Http.postMessage(stack.baseUrl(), conversation, "another");
      List<SseClient.Event> after = client.awaitEvent(e -> e.type().equals("done"), PATIENCE);
      assertThat(after.subList(events.size(), after.size()))
          .allSatisfy(e -> assertThat(e.data().getString("messageId")).isEqualTo(next));

      assertThat(cancel(conversation, messageId).status()).as("cancelling an ended message").isEqualTo(409);
    }
  }

  @Test
  void cancellingSomethingThatIsNotARunningMessageIsRefused() {
    assertThat(cancel("cancel-unknown", ConversationIds.newMessageId()).status()).isEqualTo(404);
    Http.Response bad = Http.postJson(stack.baseUrl() + "/api/conversations/cancel-unknown/cancel", "{\"messageId\": 42}");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().getJsonObject("error").getString("code")).isEqualTo("invalid_message_id");
  }

  @Test
  void aModelThatStopsSendingEndsTheAnswerWithTimeout() {
    String conversation = "stalled-model";
    try (SseClient client = SseClient.connect(eventsUrl(conversation))) {
      Http.postMessage(stack.baseUrl(), conversation, "please stall");
      List<SseClient.Event> events = client.awaitTerminal(PATIENCE);
      assertThat(events).filteredOn(e -> e.type().equals("token")).hasSize(3);
      SseClient.Event error = events.get(events.size() - 1);
      assertThat(error.type()).isEqualTo("error");
      assertThat(error.data().getString("code")).isEqualTo("timeout");
    }
  }

  @Test
  void rateLimitedCallsBeforeTheFirstTokenAreRetriedWithinTheSameAttempt() {
    String conversation = "rate-limited";
    try (SseClient client = SseClient.connect(eventsUrl(conversation))) {
      String messageId = Http.postMessage(stack.baseUrl(), conversation, "a flaky provider");
      List<SseClient.Event> events = client.awaitTerminal(PATIENCE);
      assertThat(events.get(events.size() - 1).type()).isEqualTo("done");
      assertThat(events.get(events.size() - 1).data().getString("text")).isEqualTo("fine.");
      assertThat(events).filteredOn(e -> e.type().equals("start")).hasSize(1);
      assertThat(model.requests()).filteredOn(r -> r.lastUserText().equals("a flaky provider"))
          .as("two 429s, then the answer").hasSize(3);
      assertThat(events).allSatisfy(e -> assertThat(e.data().getString("messageId")).isEqualTo(messageId));
    }
  }

  @Test
  void aRetryAfterFromTheProviderIsWaitedFor() {
    String conversation = "retry-after";
    try (SseClient client = SseClient.connect(eventsUrl(conversation))) {
      Http.postMessage(stack.baseUrl(), conversation, "please retry after");
      List<SseClient.Event> events = client.awaitTerminal(PATIENCE);
      assertThat(events.get(events.size() - 1).type()).isEqualTo("done");
      List<OpenAiCompatibleServer.Recorded> calls = model.requests().stream()
          .filter(r -> r.lastUserText().equals("please retry after")).toList();
      assertThat(calls).hasSize(2);
      // The backoff alone would have retried after 250–500 ms; the provider asked for 3 s.
      assertThat(calls.get(1).receivedAtMillis() - calls.get(0).receivedAtMillis()).isGreaterThanOrEqualTo(3_000);
    }
  }

  @Test
  void poisonRecordsAreDeadLetteredAndDoNotStallTheirPartition() {
    String conversation = "after-poison";
    KafkaSettings kafka = stack.kafka();
    MessageRequest keyless;
    Map<String, Object> producerConfig = new HashMap<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
        "key.serializer", StringSerializer.class.getName(), "value.serializer", ByteArraySerializer.class.getName()));
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig);
         SseClient client = SseClient.connect(eventsUrl(conversation))) {
      producer.send(new ProducerRecord<>(kafka.topics().requests(), conversation,
          "{\"not\": \"a request\"".getBytes(StandardCharsets.UTF_8))).get();
      // A well-formed message without a key, in the same partition: it belongs to no conversation.
      keyless = new MessageRequest(conversation, ConversationIds.newMessageId(), "no key", System.currentTimeMillis());
      producer.send(new ProducerRecord<>(kafka.topics().requests(),
          Partitioning.partitionOf(conversation, TokenrailStack.PARTITIONS), null,
          ProtocolCodec.encode(keyless).getBytes())).get();
      String messageId = Http.postMessage(stack.baseUrl(), conversation, "after the poison");
      List<SseClient.Event> events = client.awaitTerminal(PATIENCE);
      assertThat(events.get(events.size() - 1).type()).isEqualTo("done");
      assertThat(events.get(events.size() - 1).data().getString("messageId")).isEqualTo(messageId);
      assertThat(events).noneMatch(e -> keyless.messageId().equals(e.data().getString("messageId")));
    } catch (Exception e) {
      throw new AssertionError(e);
    }

    Map<String, Object> consumerConfig = new HashMap<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
        "key.deserializer", StringDeserializer.class.getName(), "value.deserializer", ByteArrayDeserializer.class.getName(),
        "auto.offset.reset", "earliest", "group.id", "dlq-check-" + System.nanoTime()));
    try (KafkaConsumer<String, byte[]> dlq = new KafkaConsumer<>(consumerConfig)) {
      dlq.subscribe(List.of(kafka.topics().deadLetters()));
      List<ConsumerRecord<String, byte[]>> seen = Collections.synchronizedList(new ArrayList<>());
      await().atMost(PATIENCE).until(() -> {
        dlq.poll(Duration.ofMillis(200)).forEach(seen::add);
        return seen.size() >= 2;
      });
      // The two land in different partitions of the dead-letter topic: no order between them.
      ConsumerRecord<String, byte[]> dead = seen.stream().filter(r -> r.key() != null).findFirst().orElseThrow();
      assertThat(dead.key()).isEqualTo(conversation);
      assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("{\"not\": \"a request\"");
      assertThat(new String(dead.headers().lastHeader("tokenrail-dlq-reason").value(), StandardCharsets.UTF_8))
          .contains("malformed JSON");
      ConsumerRecord<String, byte[]> unkeyed = seen.stream().filter(r -> r.key() == null).findFirst().orElseThrow();
      assertThat(new String(unkeyed.headers().lastHeader("tokenrail-dlq-reason").value(), StandardCharsets.UTF_8))
          .contains("needs the conversation's key");
    }
  }

  private static Http.Response cancel(String conversation, String messageId) {
    return Http.postJson(stack.baseUrl() + "/api/conversations/" + conversation + "/cancel",
        new JsonObject().put("messageId", messageId).encode());
  }

  private static String eventsUrl(String conversation) {
    return stack.baseUrl() + "/api/conversations/" + conversation + "/events";
  }
}
