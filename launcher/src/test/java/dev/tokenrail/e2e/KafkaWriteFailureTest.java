package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrail.gateway.GatewayConfig;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.kafka.EmbeddedKafkaBroker;
import dev.tokenrail.launcher.Launcher;
import dev.tokenrail.protocol.Topics;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.TopicSetup;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Writes that fail for good do not leave anything hanging. The producers' delivery timeout is lowered to
 * 3 s (and their wait for metadata to 1 s), and the broker stays away for 12 s while answers end: their
 * turn, terminal event and {@code ended} marker fail to be written then. When the broker is back, every answer still ends for its client, its
 * transcript is not left {@code pending}, its conversation takes the next message, and the worker group
 * commits every request. Its own broker, since it stops it.
 */
class KafkaWriteFailureTest {

  private static final Duration OUTAGE = Duration.ofSeconds(12);
  private static final Duration PATIENCE = Duration.ofSeconds(120);
  private static final int CONVERSATIONS = 2;

  @Test
  void answersThatEndWhileKafkaIsAwayStillEndForClientsTranscriptsAndCommits() throws Exception {
    Path data = Files.createTempDirectory("tokenrail-write-failure");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(data, port, Map.of());
    KafkaSettings kafka = new KafkaSettings(broker.bootstrapServers(), new Topics("writefail."), 6,
        KafkaSettings.DEFAULT_LINGER_MS)
        // A send fails for good after 3 s (Kafka's default: 2 min), and one waiting for metadata after 1 s.
        .withClientProperty("delivery.timeout.ms", "3000").withClientProperty("request.timeout.ms", "1000")
        .withClientProperty("max.block.ms", "1000");
    TopicSetup.ensureTopics(kafka);
    Vertx vertx = Vertx.vertx();
    List<SseClient> clients = new ArrayList<>();
    try {
      List<GatewayVerticle> gateways = TokenrailStack.await(Launcher.deploy(vertx,
          // Three seconds to the first of three tokens: the answers are started when the broker goes, and end
          // (turn, done, ended marker) while it is away.
          Optional.of(WorkerConfig.of(kafka, ModelSettings.demo(50, 3_000), 100).withDrainTimeout(Duration.ZERO)),
          List.of(GatewayConfig.defaults(kafka, 0).withKeepAlive(Duration.ofSeconds(2)))));
      String base = "http://localhost:" + gateways.get(0).actualPort();

      List<String> accepted = new ArrayList<>();
      for (int i = 0; i < CONVERSATIONS; i++) {
        clients.add(SseClient.connect(base + "/api/conversations/wf-" + i + "/events"));
        accepted.add(Http.postMessage(base, "wf-" + i, "#tokens=3 ends while Kafka is away " + i));
      }
      for (SseClient client : clients) { // every answer has started: its end falls in the outage
        client.awaitEvent(e -> e.type().equals("start"), PATIENCE);
      }
      broker.close();
      long downSince = System.currentTimeMillis();
      await().atMost(OUTAGE.plus(PATIENCE)).until(() -> System.currentTimeMillis() - downSince >= OUTAGE.toMillis());
      broker = EmbeddedKafkaBroker.start(data, port, Map.of());

      for (int i = 0; i < CONVERSATIONS; i++) {
        String messageId = accepted.get(i);
        List<SseClient.Event> events = clients.get(i).awaitEvent(e -> List.of("done", "error", "cancelled").contains(e.type())
            && messageId.equals(e.data().getString("messageId")), PATIENCE);
        assertThat(events.stream().filter(e -> e.type().equals("done")).count()).as("one done, conversation %d", i)
            .isEqualTo(1);
        String conversation = "wf-" + i;
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(answerStatus(base, conversation, messageId))
            .as("the transcript of %s", conversation).isEqualTo("done"));
      }
      for (int i = 0; i < CONVERSATIONS; i++) { // each conversation takes its next message
        String next = Http.postMessage(base, "wf-" + i, "#tokens=3 after the outage");
        clients.get(i).awaitEvent(e -> e.type().equals("done") && next.equals(e.data().getString("messageId")), PATIENCE);
      }
      awaitEveryRequestCommitted(kafka);
    } finally {
      clients.forEach(SseClient::close);
      TokenrailStack.await(vertx.close());
      broker.close();
      try (var files = Files.walk(data)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static String answerStatus(String base, String conversation, String messageId) {
    Http.Response transcript = Http.get(base + "/api/conversations/" + conversation);
    if (transcript.status() != 200) {
      return "HTTP " + transcript.status();
    }
    return transcript.json().getJsonArray("messages").stream().map(JsonObject.class::cast)
        .filter(m -> messageId.equals(m.getString("messageId")) && "assistant".equals(m.getString("role")))
        .map(m -> m.getString("status")).findFirst().orElse("absent");
  }

  /** The worker group's committed offsets reach the end of every requests partition. */
  private static void awaitEveryRequestCommitted(KafkaSettings kafka) {
    try (Admin admin = Admin.create(new HashMap<String, Object>(kafka.adminConfig()))) {
      await().atMost(PATIENCE).untilAsserted(() -> {
        Map<TopicPartition, Long> committed = admin.listConsumerGroupOffsets(WorkerConfig.GROUP_ID)
            .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).entrySet().stream()
            .filter(e -> e.getKey().topic().equals(kafka.topics().requests()) && e.getValue() != null)
            .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        Set<TopicPartition> partitions = java.util.stream.IntStream.range(0, 6)
            .mapToObj(p -> new TopicPartition(kafka.topics().requests(), p)).collect(Collectors.toSet());
        Map<TopicPartition, Long> ends = admin.listOffsets(partitions.stream()
                .collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()))).all().get(10, TimeUnit.SECONDS)
            .entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        ends.forEach((tp, end) -> assertThat(end == 0 ? 0L : committed.getOrDefault(tp, -1L))
            .as("committed offset of %s", tp).isEqualTo(end));
      });
    }
  }
}
