package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrail.gateway.GatewayConfig;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.kafka.EmbeddedKafkaBroker;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.TopicSetup;
import dev.tokenrail.protocol.Topics;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.WorkerVerticle;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The broker goes away for 30 s in the middle of 20 answers and comes back (same port, same data): POSTs
 * answer 503 meanwhile, SSE connections stay open, and every accepted request still ends with a
 * terminal event. Its own broker, since it stops it.
 */
class KafkaOutageTest {

  private static final Duration OUTAGE = Duration.ofSeconds(30);
  private static final Duration PATIENCE = Duration.ofSeconds(180);

  @Test
  void everyAcceptedRequestEndsAfterTheBrokerComesBack() throws Exception {
    Path data = Files.createTempDirectory("tokenrail-outage");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(data, port, Map.of());
    KafkaSettings kafka = new KafkaSettings(broker.bootstrapServers(), new Topics("outage."), 6, KafkaSettings.DEFAULT_LINGER_MS);
    TopicSetup.ensureTopics(kafka);
    Vertx vertx = Vertx.vertx();
    List<SseClient> clients = new ArrayList<>();
    try {
      TokenrailStack.await(vertx.deployVerticle(new WorkerVerticle(WorkerConfig.of(kafka, ModelSettings.demo(50, 10), 1_000))));
      GatewayVerticle gateway = TokenrailStack.startGateway(vertx, GatewayConfig.defaults(kafka, 0).withKeepAlive(Duration.ofSeconds(5)));
      String base = "http://localhost:" + gateway.actualPort();

      List<String> accepted = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        clients.add(SseClient.connect(base + "/api/conversations/outage-" + i + "/events"));
        accepted.add(Http.postMessage(base, "outage-" + i, "#tokens=1000 across an outage " + i));
      }
      clients.get(0).awaitEvent(e -> e.type().equals("token") && e.data().getLong("seq") >= 10, PATIENCE);

      broker.close();
      long downSince = System.currentTimeMillis();
      Http.Response refused = Http.postJson(base + "/api/conversations/outage-late/messages", "{\"text\":\"while down\"}");
      assertThat(refused.status()).as("no 202 while Kafka cannot take the request").isEqualTo(503);
      // The outage lasts its 30 s, and meanwhile the gateway keeps every stream alive with pings.
      List<Long> pingsBefore = clients.stream().map(KafkaOutageTest::pings).toList();
      await().atMost(OUTAGE.plus(PATIENCE)).until(() -> System.currentTimeMillis() - downSince >= OUTAGE.toMillis()
          && java.util.stream.IntStream.range(0, clients.size()).allMatch(i -> pings(clients.get(i)) >= pingsBefore.get(i) + 2));
      broker = EmbeddedKafkaBroker.start(data, port, Map.of());

      for (int i = 0; i < 20; i++) {
        List<SseClient.Event> events = clients.get(i).awaitTerminal(PATIENCE);
        String messageId = accepted.get(i);
        assertThat(events).as("conversation %d", i)
            .anyMatch(e -> List.of("done", "error", "cancelled").contains(e.type())
                && messageId.equals(e.data().getString("messageId")));
      }
      assertThat(clients).as("streams stayed open through the outage")
          .allSatisfy(c -> assertThat(c.events()).isNotEmpty());
      System.out.println("Terminal events after the outage: " + clients.stream()
          .map(c -> c.events().get(c.events().size() - 1).type()).collect(Collectors.groupingBy(t -> t, Collectors.counting())));
    } finally {
      clients.forEach(SseClient::close);
      TokenrailStack.await(vertx.close());
      broker.close();
      deleteQuietly(data);
    }
  }

  private static long pings(SseClient client) {
    return client.comments().stream().filter("ping"::equals).count();
  }

  private static void deleteQuietly(Path dir) throws IOException {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
