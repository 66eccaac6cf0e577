package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrail.gateway.GatewayConfig;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.gateway.delivery.DeliverySettings;
import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.StreamEvent;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.TopicSetup;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.testkit.StalledSseSocket;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A stream that falls behind during catch-up and drains while its catch-up lane reads on for another
 * stream of the same partition must be caught up from its own position. The lane has read past events the
 * stream never got (it skipped them while the stream was behind); were the stream let back into that
 * lane's scan, it would get the lane's next events and jump over the ones it missed — which then no lane
 * delivers, since the stream's position has moved past them.
 *
 * <p>The log is written straight to the topics, so its layout is exact: in one partition, an answer of
 * conversation X far larger than the kernel's socket buffers, a short answer of Y, half a million records
 * of a third conversation (what keeps the lane reading for seconds), then a second answer of X. One catch-up
 * lane. Y's first replay keeps the lane busy while X's stalled replay and Y's second replay queue, so those
 * two are read in one scan; X's socket fills in its first answer; the client reads again while the lane is
 * still reading the filler for Y.
 */
@ExtendWith(SharedKafka.class)
class CatchUpRejoinTest {

  private static final Duration PATIENCE = Duration.ofSeconds(120);
  /**
   * X's first answers: 14 of 150 tokens of 4,000 characters, 8.4 MB of frames — twice what loopback's send
   * buffer grows to — in answers whose done (which carries the whole text) stays under Kafka's 1 MB records.
   */
  private static final int BIG_ANSWERS = 14;
  private static final int BIG_TOKENS = 150;
  private static final int FILLER_RECORDS = 500_000;

  @Test
  void aStreamThatDrainsWhileItsLaneReadsOnForAnotherIsCaughtUpFromItsOwnPosition() throws Exception {
    KafkaSettings kafka = TokenrailStack.freshTopics();
    TopicSetup.ensureTopics(kafka);
    List<String> ids = IntStream.range(0, 10_000).mapToObj(i -> "rejoin-" + i)
        .filter(id -> Partitioning.partitionOf(ConversationIds.kafkaKey(id), kafka.partitions()) == 0).limit(3).toList();
    String x = ids.get(0);
    String y = ids.get(1);
    String filler = ids.get(2);
    long startedAt = System.currentTimeMillis() - 60_000;
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
        "bootstrap.servers", kafka.bootstrapServers(), "linger.ms", 20, "batch.size", 1_048_576,
        "key.serializer", StringSerializer.class.getName(), "value.serializer", ByteArraySerializer.class.getName()))) {
      for (String conversation : List.of(x, y)) {
        producer.send(new ProducerRecord<>(kafka.topics().conversations(), ConversationIds.kafkaKey(conversation),
            ProtocolCodec.encodeConversationStart(startedAt).getBytes()));
      }
      for (int i = 0; i < BIG_ANSWERS; i++) {
        answer(producer, kafka, x, "x-" + i, BIG_TOKENS, 4_000);
      }
      answer(producer, kafka, y, "y-1", 3, 10);
      for (int i = 0; i < FILLER_RECORDS; i++) {
        send(producer, kafka, filler, new StreamEvent.Token(filler, "f-1", 1, i + 1, System.currentTimeMillis(), "f"));
      }
      answer(producer, kafka, x, "x-last", 3, 10);
      producer.flush();
    }

    Vertx vertx = Vertx.vertx();
    try {
      GatewayConfig defaults = GatewayConfig.defaults(kafka, 0);
      DeliverySettings d = defaults.delivery();
      GatewayVerticle gateway = TokenrailStack.startGateway(vertx, defaults.withDelivery(new DeliverySettings(
          d.keepAlive(), d.sseWriteQueueBytes(), 1, d.replayClockSkew(), d.recentEventsPerPartition())));
      String base = "http://localhost:" + gateway.actualPort();
      try (SseClient busy = SseClient.connect(base + "/api/conversations/" + y + "/events?from=start");
           StalledSseSocket stalled = StalledSseSocket.open("localhost", gateway.actualPort(),
               "/api/conversations/" + x + "/events?from=start");
           SseClient second = SseClient.connect(base + "/api/conversations/" + y + "/events?from=start")) {
        // X's socket is full: the gateway stopped writing to it, and the lane reads on for Y's second replay.
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(5))
            .until(() -> TokenrailStack.await(gateway.streamStats()).behind() == 1);
        // What makes this test: the lane is still reading (the filler, for Y's second replay, not yet handed over
        // to live delivery) as X drains — the filler takes it seconds.
        assertThat(TokenrailStack.await(gateway.streamStats()).catchingUp()).as("streams still catching up").isEqualTo(1);
        try (SseClient resumed = stalled.resume()) { // the client reads again: X drains
          List<SseClient.Event> events = resumed.awaitEvent(
              e -> e.type().equals("done") && e.data().getString("messageId").equals("x-last"), PATIENCE);
          List<String> answers = new java.util.ArrayList<>(IntStream.range(0, BIG_ANSWERS).mapToObj(i -> "x-" + i).toList());
          answers.add("x-last");
          for (String messageId : answers) {
            List<SseClient.Event> answer = events.stream()
                .filter(e -> messageId.equals(e.data().getString("messageId"))).toList();
            long doneSeq = messageId.equals("x-last") ? 4 : BIG_TOKENS + 1;
            assertThat(answer.stream().map(e -> e.data().getLong("seq")).toList())
                .as("seqs of %s: every event once, in order", messageId)
                .isEqualTo(LongStream.rangeClosed(0, doneSeq).boxed().toList());
            assertCompleteAnswer(events, x, messageId, kafka.partitions());
          }
        }
        assertThat(second.awaitEvent(e -> e.type().equals("done"), PATIENCE)).as("Y's second replay")
            .extracting(SseClient.Event::type).containsExactly("start", "token", "token", "token", "done");
        assertThat(busy.awaitEvent(e -> e.type().equals("done"), PATIENCE)).as("Y's first replay").hasSize(5);
      }
    } finally {
      TokenrailStack.await(vertx.close());
    }
  }

  /** A finished answer as a worker writes it: start, {@code tokens} tokens of {@code size} characters, done. */
  private static void answer(KafkaProducer<String, byte[]> producer, KafkaSettings kafka, String conversation,
                             String messageId, int tokens, int size) {
    long ts = System.currentTimeMillis();
    send(producer, kafka, conversation, new StreamEvent.Start(conversation, messageId, 1, 0, ts, "test"));
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < tokens; i++) {
      String head = "[" + messageId + " #" + i + "]";
      String token = head + ".".repeat(Math.max(0, size - head.length()));
      text.append(token);
      send(producer, kafka, conversation, new StreamEvent.Token(conversation, messageId, 1, i + 1, ts, token));
    }
    send(producer, kafka, conversation, new StreamEvent.Done(conversation, messageId, 1, tokens + 1, ts, text.toString(), "stop"));
  }

  private static void send(KafkaProducer<String, byte[]> producer, KafkaSettings kafka, String conversation, StreamEvent event) {
    producer.send(new ProducerRecord<>(kafka.topics().events(), ConversationIds.kafkaKey(conversation),
        ProtocolCodec.encode(event).getBytes()));
  }
}
