package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.tokenrail.gateway.GatewayConfig;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.gateway.delivery.DeliverySettings;
import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.protocol.EventId;
import dev.tokenrail.protocol.EventType;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.StreamEvent;
import dev.tokenrail.protocol.TraceContext;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.TopicSetup;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.generation.EventSender;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tokens that pile up in a worker share a record ({@link StreamEvent.Tokens}), and clients never see it: each token is
 * an event of its own with an id that names it, so streams resume between two tokens of one record.
 */
@ExtendWith(SharedKafka.class)
class TokenRunsTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final TraceContext TRACE = TraceContext.newTrace();

  /**
   * The worker's sender, against the broker, with its lane held busy while a batch piles up — what a loaded worker
   * sees: each conversation's consecutive tokens of an attempt become runs of at most 64, in order; anything else of
   * the conversation, a gap in seq, or the characters bound ends a run; a lone token is written as a {@code token}.
   */
  @Test
  void tokensThatPileUpShareRecordsWhichKeepEveryConversationsOrder() throws Exception {
    KafkaSettings kafka = freshTopics();
    Vertx vertx = Vertx.vertx();
    WorkerExecutor lane = vertx.createSharedWorkerExecutor("runs-test-lane", 1);
    try (Producer<String, Buffer> producer = new KafkaProducer<>(producerConfig(kafka))) {
      EventSender sender = new EventSender(producer, vertx.getOrCreateContext(), lane, WorkerConfig.DEFAULT_TOKENS_PER_RECORD);
      CountDownLatch release = holdBusy(lane);

      String topic = kafka.topics().events();
      List<StreamEvent> a = new ArrayList<>();
      List<StreamEvent> b = new ArrayList<>();
      a.add(new StreamEvent.Start("a", "m1", 1, 0, 1, "demo"));
      for (int seq = 1; seq <= 100; seq++) {
        a.add(new StreamEvent.Token("a", "m1", 1, seq, seq, "a" + seq + " "));
      }
      a.add(new StreamEvent.ToolCall("a", "m1", 1, 101, 101, "call-1", "calculator", "{}"));
      for (int seq = 102; seq <= 105; seq++) {
        a.add(new StreamEvent.Token("a", "m1", 1, seq, seq, "a" + seq + " "));
      }
      for (int seq = 1; seq <= 3; seq++) {
        b.add(new StreamEvent.Token("b", "m2", 1, seq, seq, "b" + seq));
      }
      b.add(new StreamEvent.Token("b", "m2", 1, 5, 5, "after a gap")); // a seq gap: a new record
      b.add(new StreamEvent.Token("b", "m3", 1, 6, 6, "another message")); // another message: another record
      List<StreamEvent.Token> c = List.of(new StreamEvent.Token("c", "m4", 1, 1, 1, "x".repeat(10_000)),
          new StreamEvent.Token("c", "m4", 1, 2, 2, "y".repeat(10_000)),
          new StreamEvent.Token("c", "m4", 1, 3, 3, "z".repeat(10_000))); // past the characters bound after two

      // Interleaved, as generations of several conversations write: a and b alternate now and then.
      for (int i = 0; i < a.size(); i++) {
        sender.send(topic, ConversationIds.kafkaKey("a"), a.get(i), TRACE, (m, e) -> { });
        if (i % 30 == 0 && i / 30 < b.size()) {
          sender.send(topic, ConversationIds.kafkaKey("b"), b.get(i / 30), TRACE, (m, e) -> { });
        }
      }
      for (int i = 4; i < b.size(); i++) {
        sender.send(topic, ConversationIds.kafkaKey("b"), b.get(i), TRACE, (m, e) -> { });
      }
      c.forEach(event -> sender.send(topic, ConversationIds.kafkaKey("c"), event, TRACE, (m, e) -> { }));
      StreamEvent.Done end = new StreamEvent.Done("a", "m1", 1, 106, 106, "", "stop");
      a.add(end);
      Future<Void> done = sender.send(topic, ConversationIds.kafkaKey("a"), end, TRACE);
      release.countDown();
      TokenrailStack.await(done);
      producer.flush();

      Map<String, List<StreamEvent>> stored = storedEvents(kafka);
      assertThat(stored.get(ConversationIds.kafkaKey("a"))).extracting(StreamEvent::type).containsExactly(
          EventType.START, EventType.TOKENS, EventType.TOKENS, EventType.TOOL_CALL, EventType.TOKENS, EventType.DONE);
      assertThat(stored.get(ConversationIds.kafkaKey("a")).stream().filter(e -> e instanceof StreamEvent.Tokens)
          .map(e -> ((StreamEvent.Tokens) e).texts().size())).containsExactly(64, 36, 4);
      assertThat(expanded(stored.get(ConversationIds.kafkaKey("a")))).as("a's events, one by one")
          .containsExactlyElementsOf(a.stream().map(e -> e instanceof StreamEvent.Token t
              ? new StreamEvent.Token(t.conversationId(), t.messageId(), t.attempt(), t.seq(), runStart(t.seq()), t.text())
              : e).toList())
          .hasSize(a.size());
      assertThat(stored.get(ConversationIds.kafkaKey("b"))).extracting(StreamEvent::type)
          .containsExactly(EventType.TOKENS, EventType.TOKEN, EventType.TOKEN);
      assertThat(expanded(stored.get(ConversationIds.kafkaKey("b")))).extracting(StreamEvent::seq)
          .containsExactly(1L, 2L, 3L, 5L, 6L);
      assertThat(stored.get(ConversationIds.kafkaKey("c"))).extracting(StreamEvent::type)
          .containsExactly(EventType.TOKENS, EventType.TOKEN);
      assertThat(expanded(stored.get(ConversationIds.kafkaKey("c")))).extracting(e -> ((StreamEvent.Token) e).text())
          .containsExactlyElementsOf(c.stream().map(StreamEvent.Token::text).toList());
    } finally {
      TokenrailStack.await(vertx.close());
    }
  }

  /** A sender told to write a record a token writes exactly that, however much piles up. */
  @Test
  void oneTokenPerRecordWritesEveryTokenAsItsOwnRecord() throws Exception {
    KafkaSettings kafka = freshTopics();
    Vertx vertx = Vertx.vertx();
    WorkerExecutor lane = vertx.createSharedWorkerExecutor("runs-test-lane-1", 1);
    try (Producer<String, Buffer> producer = new KafkaProducer<>(producerConfig(kafka))) {
      EventSender sender = new EventSender(producer, vertx.getOrCreateContext(), lane, 1);
      CountDownLatch release = holdBusy(lane);
      List<Future<Void>> sent = new ArrayList<>();
      for (int seq = 1; seq <= 50; seq++) {
        sent.add(sender.send(kafka.topics().events(), ConversationIds.kafkaKey("a"),
            new StreamEvent.Token("a", "m1", 1, seq, seq, "t" + seq), TRACE));
      }
      release.countDown();
      TokenrailStack.await(Future.all(sent));
      List<StreamEvent> stored = storedEvents(kafka).get(ConversationIds.kafkaKey("a"));
      assertThat(stored).hasSize(50).allMatch(e -> e.type() == EventType.TOKEN);
      assertThat(stored).extracting(StreamEvent::seq).containsExactlyElementsOf(LongStream.rangeClosed(1, 50).boxed().toList());
    } finally {
      TokenrailStack.await(vertx.close());
    }
  }

  /**
   * The gateway sends a run's tokens as events of their own, live and in a replay, with ids that name each; a
   * {@code Last-Event-ID} inside a run resumes with the run's next token, one at a run's end with the next record.
   */
  @Test
  void aRunIsStreamedAsATokenEventEachAndAStreamResumesBetweenItsTokens() throws Exception {
    try (TokenrailStack stack = TokenrailStack.withoutWorker(1);
         KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
             "bootstrap.servers", stack.kafka().bootstrapServers(),
             "key.serializer", StringSerializer.class.getName(), "value.serializer", ByteArraySerializer.class.getName()))) {
      KafkaSettings kafka = stack.kafka();
      String conversation = "runs-" + ConversationIds.newMessageId();
      String key = ConversationIds.kafkaKey(conversation);
      producer.send(new ProducerRecord<>(kafka.topics().conversations(), key,
          ProtocolCodec.encodeConversationStart(System.currentTimeMillis() - 1_000).getBytes())).get();
      String url = stack.baseUrl() + "/api/conversations/" + conversation + "/events";
      try (SseClient live = SseClient.connect(url)) {
        List<Long> offsets = writeAnswer(producer, kafka, conversation, "m-1");
        List<SseClient.Event> events = live.awaitTerminal(PATIENCE);
        assertCompleteAnswer(events, conversation, "m-1", kafka.partitions());
        assertThat(events).extracting(SseClient.Event::type)
            .containsExactly("start", "token", "token", "token", "token", "token", "token", "token", "token", "token", "done");
        int partition = EventId.parse(events.get(0).id()).orElseThrow().partition();
        // start; a run of five (parts 0-3, then the run's last as the whole record); a lone token; a run of three; done
        List<String> expectedIds = new ArrayList<>();
        expectedIds.add(new EventId(partition, offsets.get(0)).encode());
        for (int part = 0; part < 4; part++) {
          expectedIds.add(new EventId(partition, offsets.get(1), part).encode());
        }
        expectedIds.add(new EventId(partition, offsets.get(1)).encode());
        expectedIds.add(new EventId(partition, offsets.get(2)).encode());
        expectedIds.add(new EventId(partition, offsets.get(3), 0).encode());
        expectedIds.add(new EventId(partition, offsets.get(3), 1).encode());
        expectedIds.add(new EventId(partition, offsets.get(3)).encode());
        expectedIds.add(new EventId(partition, offsets.get(4)).encode());
        assertThat(events).extracting(SseClient.Event::id).containsExactlyElementsOf(expectedIds);

        // From the start: a replay read by a catch-up lane, the same events and ids.
        try (SseClient replay = SseClient.connect(url + "?from=start")) {
          assertThat(replay.awaitTerminal(PATIENCE)).extracting(SseClient.Event::id).containsExactlyElementsOf(expectedIds);
        }
        // After the run's second token: its third, fourth and fifth, then the rest — nothing twice.
        try (SseClient resumed = SseClient.connect(url, Map.of("Last-Event-ID", expectedIds.get(2)))) {
          List<SseClient.Event> rest = resumed.awaitTerminal(PATIENCE);
          assertThat(rest).extracting(SseClient.Event::id).containsExactlyElementsOf(expectedIds.subList(3, expectedIds.size()));
          assertThat(rest).extracting(e -> e.data().getLong("seq")).containsExactlyElementsOf(LongStream.rangeClosed(3, 10).boxed().toList());
        }
        // After the run's last token: the lone token next.
        try (SseClient resumed = SseClient.connect(url, Map.of("Last-Event-ID", expectedIds.get(5)))) {
          assertThat(resumed.awaitTerminal(PATIENCE)).extracting(SseClient.Event::id)
              .containsExactlyElementsOf(expectedIds.subList(6, expectedIds.size()));
        }
        // A gateway that remembers no recent events checks the id in the log: the same resume.
        Vertx vertx = Vertx.vertx();
        try {
          GatewayConfig defaults = GatewayConfig.defaults(kafka, 0);
          DeliverySettings d = defaults.delivery();
          GatewayVerticle fromLog = TokenrailStack.startGateway(vertx, defaults.withDelivery(new DeliverySettings(
              d.keepAlive(), d.sseWriteQueueBytes(), d.catchUpReaders(), d.replayClockSkew(), 0)));
          String logUrl = "http://localhost:" + fromLog.actualPort() + "/api/conversations/" + conversation + "/events";
          try (SseClient resumed = SseClient.connect(logUrl, Map.of("Last-Event-ID", expectedIds.get(7)))) {
            assertThat(resumed.awaitTerminal(PATIENCE)).extracting(SseClient.Event::id)
                .containsExactlyElementsOf(expectedIds.subList(8, expectedIds.size()));
          }
          // Parts no gateway wrote are refused, on either path: past the run's end, the run's last token by part
          // (its id names the whole record), a part of a record that is not a run.
          for (String base : List.of(url, logUrl)) {
            for (EventId forged : List.of(new EventId(partition, offsets.get(3), 30), new EventId(partition, offsets.get(3), 2),
                new EventId(partition, offsets.get(2), 0), new EventId(partition, offsets.get(0), 0),
                new EventId(partition, offsets.get(4), 1))) {
              Http.Response refused = Http.send(HttpRequest.newBuilder(URI.create(base))
                  .header("Accept", "text/event-stream").header("Last-Event-ID", forged.encode()).build());
              assertThat(refused.status()).as("Last-Event-ID %s at %s", forged, base).isEqualTo(400);
              assertThat(refused.json().getJsonObject("error").getString("code")).isEqualTo("invalid_last_event_id");
            }
          }
        } finally {
          TokenrailStack.await(vertx.close());
        }
      }
    }
  }

  /**
   * Every token's callback is told once how its send ended, whether its record was its own or a run's: acknowledged
   * by the broker, or refused by a producer that closed meanwhile.
   */
  @Test
  void everyTokenOfARunIsToldOnceHowItsSendEnded() throws Exception {
    KafkaSettings kafka = freshTopics();
    Vertx vertx = Vertx.vertx();
    WorkerExecutor lane = vertx.createSharedWorkerExecutor("runs-test-lane-callbacks", 1);
    try {
      for (boolean closeFirst : new boolean[] {false, true}) {
        Producer<String, Buffer> producer = new KafkaProducer<>(producerConfig(kafka));
        EventSender sender = new EventSender(producer, vertx.getOrCreateContext(), lane, WorkerConfig.DEFAULT_TOKENS_PER_RECORD);
        CountDownLatch release = holdBusy(lane);
        int tokens = 40;
        AtomicIntegerArray acknowledged = new AtomicIntegerArray(tokens);
        AtomicIntegerArray failed = new AtomicIntegerArray(tokens);
        List<Future<Void>> futures = new ArrayList<>();
        for (int i = 0; i < tokens; i++) {
          int token = i;
          StreamEvent.Token event = new StreamEvent.Token("a", "m1", 1, i + 1, 1, "t" + i);
          if (i % 10 == 9) { // some wait for their acknowledgement on the event loop
            futures.add(sender.send(kafka.topics().events(), ConversationIds.kafkaKey("a"), event, TRACE)
                .onSuccess(v -> acknowledged.incrementAndGet(token)).onFailure(e -> failed.incrementAndGet(token)));
          } else {
            sender.send(kafka.topics().events(), ConversationIds.kafkaKey("a"), event, TRACE,
                (metadata, error) -> (error == null ? acknowledged : failed).incrementAndGet(token));
          }
        }
        if (closeFirst) {
          producer.close();
        }
        release.countDown();
        TokenrailStack.await(Future.join(futures).otherwiseEmpty());
        producer.close();
        AtomicIntegerArray told = closeFirst ? failed : acknowledged;
        AtomicIntegerArray other = closeFirst ? acknowledged : failed;
        org.awaitility.Awaitility.await().atMost(PATIENCE)
            .until(() -> IntStream.range(0, tokens).allMatch(i -> told.get(i) == 1));
        assertThat(IntStream.range(0, tokens).map(told::get)).as("closed first: %s", closeFirst).containsOnly(1);
        assertThat(IntStream.range(0, tokens).map(other::get)).as("closed first: %s", closeFirst).containsOnly(0);
      }
      List<StreamEvent> stored = storedEvents(kafka).get(ConversationIds.kafkaKey("a"));
      assertThat(stored).as("the first round's 40 tokens, in one record").hasSize(1);
      assertThat(expanded(stored)).hasSize(40);
    } finally {
      TokenrailStack.await(vertx.close());
    }
  }

  /**
   * The whole pipeline with a model faster than the worker's sends, so tokens pile up and share records: the native
   * stream and the OpenAI SDK's stream of the same answer both get every token once, in order, as the text that
   * {@code done} carries.
   */
  @Test
  void aFastModelsAnswerArrivesWholeThroughEveryStreamWhileItsTokensShareRecords() {
    try (TokenrailStack stack = TokenrailStack.start(ModelSettings.demo(1_000_000, 1))) {
      String conversation = "fast-" + ConversationIds.newMessageId();
      OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(stack.baseUrl() + "/v1").apiKey("unused").maxRetries(0).build();
      try (SseClient nativeStream = SseClient.connect(stack.baseUrl() + "/api/conversations/" + conversation + "/events")) {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("demo")
            .addUserMessage("Tell me about logs #tokens=3000").putAdditionalHeader("X-Conversation-Id", conversation).build();
        List<String> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
          stream.stream().flatMap(c -> c.choices().stream()).forEach(choice -> choice.delta().content()
              .filter(text -> !text.isEmpty()).ifPresent(chunks::add));
        }
        List<SseClient.Event> events = nativeStream.awaitTerminal(PATIENCE);
        String messageId = events.get(0).data().getString("messageId");
        String text = assertCompleteAnswer(events, conversation, messageId, stack.kafka().partitions());
        assertThat(events.stream().filter(e -> e.type().equals("token"))).hasSize(3_000);
        assertThat(chunks).as("the SDK's chunks, a token each").hasSize(3_000);
        assertThat(String.join("", chunks)).isEqualTo(text);
      } finally {
        client.close();
      }
      List<StreamEvent> stored = storedEvents(stack.kafka()).get(ConversationIds.kafkaKey(conversation));
      long runs = stored.stream().filter(e -> e instanceof StreamEvent.Tokens).count();
      System.out.printf("3,000 tokens in %d records (%d runs)%n", stored.size(), runs);
      assertThat(runs).as("tokens a microsecond apart pile up behind the worker's sends").isPositive();
    }
  }

  /**
   * Keeps the sender's one-thread lane busy, as a send waiting on Kafka would, until the latch is counted down: what
   * is sent meanwhile piles up.
   */
  private static CountDownLatch holdBusy(WorkerExecutor lane) {
    CountDownLatch release = new CountDownLatch(1);
    lane.executeBlocking(() -> {
      release.await();
      return null;
    }, true);
    return release;
  }

  private static KafkaSettings freshTopics() {
    KafkaSettings kafka = TokenrailStack.freshTopics();
    TopicSetup.ensureTopics(kafka);
    return kafka;
  }

  /** The ts a token of a's first runs carries: its run's first token's. */
  private static long runStart(long seq) {
    if (seq <= 64) {
      return 1;
    }
    return seq <= 100 ? 65 : 102;
  }

  /** Start, a run of five tokens, a lone token, a run of three, done — the offsets of the five records. */
  private static List<Long> writeAnswer(KafkaProducer<String, byte[]> producer, KafkaSettings kafka, String conversation,
                                        String messageId) throws Exception {
    long ts = System.currentTimeMillis();
    List<StreamEvent> records = List.of(
        new StreamEvent.Start(conversation, messageId, 1, 0, ts, "test"),
        new StreamEvent.Tokens(conversation, messageId, 1, 1, ts, List.of("One", " two", " three", " four", " five")),
        new StreamEvent.Token(conversation, messageId, 1, 6, ts, " six"),
        new StreamEvent.Tokens(conversation, messageId, 1, 7, ts, List.of(" seven", " eight", " nine")),
        new StreamEvent.Done(conversation, messageId, 1, 10, ts, "One two three four five six seven eight nine", "stop"));
    List<Long> offsets = new ArrayList<>();
    for (StreamEvent event : records) {
      offsets.add(producer.send(new ProducerRecord<>(kafka.topics().events(), ConversationIds.kafkaKey(conversation),
          ProtocolCodec.encode(event).getBytes())).get().offset());
    }
    return offsets;
  }

  private static List<StreamEvent> expanded(List<StreamEvent> stored) {
    return stored.stream().flatMap(e -> e instanceof StreamEvent.Tokens run
        ? run.tokens().stream().map(StreamEvent.class::cast) : java.util.stream.Stream.of(e)).toList();
  }

  private static Map<String, List<StreamEvent>> storedEvents(KafkaSettings kafka) {
    Map<String, List<StreamEvent>> byKey = new LinkedHashMap<>();
    for (ConsumerRecord<String, byte[]> r : TopicContents.readAll(kafka.bootstrapServers(), kafka.topics().events())) {
      byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(ProtocolCodec.decodeEvent(Buffer.buffer(r.value())));
    }
    return byKey;
  }

  private static Map<String, Object> producerConfig(KafkaSettings kafka) {
    return new java.util.HashMap<>(kafka.producerConfig("runs-test")); // the worker's settings and serializers
  }
}
