package dev.tokenrail.it;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static dev.tokenrail.testkit.Answers.lastAttempt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.testkit.Answers;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.lifecycle.Startables;

/**
 * Tokenrail as its users deploy it: a Kafka container and worker and gateway containers built from the
 * Dockerfiles, on a network of the test's own. Skipped, with a notice, where Docker is not available.
 */
@Testcontainers(disabledWithoutDocker = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainersTest {

  private static final Logger log = LoggerFactory.getLogger(ContainersTest.class);
  private static final Duration PATIENCE = Duration.ofSeconds(90);
  private static final int PARTITIONS = 6;
  private static final String REQUESTS_TOPIC = "tokenrail.requests";

  private static final Network network = Network.newNetwork();
  private static final ImageFromDockerfile workerImage = Images.fromModule("producer-worker");
  private static final ImageFromDockerfile gatewayImage = Images.fromModule("sse-gateway");

  // The group notices a dead worker after the 10 s session timeout the workers' consumers ask for (classic
  // group protocol): the broker needs no setting for it.
  private static final KafkaContainer kafka = new KafkaContainer(Images.kafka())
      .withNetwork(network)
      .withListener("kafka:19092");
  private static final GenericContainer<?> worker1 = worker();
  private static final GenericContainer<?> worker2 = worker();
  private static final GenericContainer<?> gateway1 = gateway();
  private static final GenericContainer<?> gateway2 = gateway();

  @BeforeAll
  static void start() {
    long t0 = System.nanoTime();
    kafka.start();
    log.info("Kafka container ready in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    long t1 = System.nanoTime();
    Startables.deepStart(worker1, worker2, gateway1, gateway2).join();
    log.info("2 worker and 2 gateway containers ready in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1));
  }

  @AfterAll
  static void stop() {
    Stream.of(gateway1, gateway2, worker1, worker2, kafka).forEach(GenericContainer::stop);
    network.close();
  }

  @Test
  @Order(1)
  void aChatStreamsEndToEndThroughTheContainers() {
    String conversation = "containers-chat";
    try (SseClient client = SseClient.connect(eventsUrl(gateway1, conversation))) {
      // Posted through the other gateway: gateways share nothing but Kafka.
      String messageId = Http.postMessage(baseUrl(gateway2), conversation, "#tokens=30 hello containers");
      List<SseClient.Event> events = client.awaitTerminal(PATIENCE);
      assertCompleteAnswer(events, conversation, messageId, PARTITIONS);
      assertThat(Answers.tokenCount(events, messageId)).isEqualTo(30);
    }
  }

  @Test
  @Order(2)
  void whenAGatewayStopsMidAnswerTheClientResumesOnAnotherGatewayWithNothingLostOrRepeated() {
    String conversation = "containers-gateway-stop";
    GenericContainer<?> doomed = gateway();
    doomed.start();
    try (SseClient first = SseClient.connect(eventsUrl(doomed, conversation))) {
      String messageId = Http.postMessage(baseUrl(doomed), conversation, "#tokens=200 a gateway will stop");
      first.awaitEvent(e -> e.type().equals("token") && e.data().getLong("seq") >= 20, PATIENCE);
      doomed.stop();
      List<SseClient.Event> before = first.events();
      assertThat(before).noneMatch(e -> e.type().equals("done"));

      // As EventSource does: the other gateway, with the id of the last event this client received.
      try (SseClient second = SseClient.connect(eventsUrl(gateway2, conversation),
          Map.of("Last-Event-ID", first.lastEventId()))) {
        List<SseClient.Event> rest = second.awaitTerminal(PATIENCE);
        List<SseClient.Event> whole = Stream.concat(before.stream(), rest.stream()).toList();
        assertCompleteAnswer(whole, conversation, messageId, PARTITIONS); // seq 0..n: no gap, no repeat
        assertThat(Answers.tokenCount(whole, messageId)).isEqualTo(200);
      }
    } finally {
      doomed.stop();
    }
  }

  /**
   * The generating worker is paused (as a long GC or {@code docker pause} would) near the end of an answer,
   * for longer than its session: the group gives its partition to the other worker, which answers again as
   * attempt 2. Then it is unpaused and goes on where it was, about to end attempt 1, not yet knowing it
   * was dropped. The client sees one {@code done}, attempt 2's, and the transcript keeps attempt 2.
   */
  @Test
  @Order(3)
  void aWorkerBackFromAPauseDoesNotEndAnAnswerItNoLongerOwns() throws Exception {
    String conversation = "containers-worker-pause";
    try (SseClient client = SseClient.connect(eventsUrl(gateway1, conversation));
         Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.getBootstrapServers()))) {
      String messageId = Http.postMessage(baseUrl(gateway1), conversation, "#tokens=150 a worker will pause");
      // Found while the answer starts, not at the pause: on a loaded machine the look-up took longer than the
      // answer's last 30 tokens, and the pause came after its end (the answer then ended twice, a flaky failure).
      client.awaitEvent(e -> e.type().equals("token"), PATIENCE);
      GenericContainer<?> generating = workerOwning(admin, Partitioning.partitionOf(conversation, PARTITIONS));
      client.awaitEvent(e -> e.type().equals("token") && e.data().getLong("seq") >= 120, PATIENCE);
      kafka.getDockerClient().pauseContainerCmd(generating.getContainerId()).exec();
      assertThat(client.events()).as("paused before the answer's end").noneMatch(e -> e.type().equals("done"));
      List<SseClient.Event> taken;
      try {
        taken = client.awaitEvent(e -> e.type().equals("done") && e.data().getInteger("attempt") == 2, PATIENCE);
      } finally {
        kafka.getDockerClient().unpauseContainerCmd(generating.getContainerId()).exec();
      }
      assertCompleteAnswer(lastAttempt(taken, messageId), conversation, messageId, PARTITIONS);
      // Back, it goes on with attempt 1 until it learns it was dropped: at the answer's end (the group refuses
      // its commit) or when its next poll hands the partition back. Wait for one of those, or for its end.
      await().atMost(PATIENCE).until(() -> generating.getLogs().contains("No longer a member of the worker group")
          || generating.getLogs().contains("revoked")
          || generating.getLogs().contains("messageId=" + messageId + " attempt=1 outcome="));
      // A message after it: once it is answered, anything the paused worker wrote before is in the stream.
      String next = Http.postMessage(baseUrl(gateway1), conversation, "#tokens=3 after the pause");
      List<SseClient.Event> all = client.awaitEvent(
          e -> e.type().equals("done") && next.equals(e.data().getString("messageId")), PATIENCE);
      assertThat(all).filteredOn(e -> e.type().equals("done") && messageId.equals(e.data().getString("messageId")))
          .as("the client sees one end of the message, attempt 2's").singleElement()
          .satisfies(e -> assertThat(e.data().getInteger("attempt")).isEqualTo(2));
      JsonObject answer = Http.get(baseUrl(gateway1) + "/api/conversations/" + conversation).json()
          .getJsonArray("messages").stream().map(JsonObject.class::cast)
          .filter(m -> messageId.equals(m.getString("messageId")) && "assistant".equals(m.getString("role")))
          .findFirst().orElseThrow();
      assertThat(answer.getString("status")).isEqualTo("done");
      assertThat(answer.getInteger("attempt")).as("the transcript keeps the new owner's answer").isEqualTo(2);
    }
  }

  @Test
  @Order(4)
  void aWorkerKilledMidGenerationLosesNoRequest() throws Exception {
    String conversation = "containers-worker-kill";
    try (SseClient client = SseClient.connect(eventsUrl(gateway1, conversation));
         Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.getBootstrapServers()))) {
      String messageId = Http.postMessage(baseUrl(gateway1), conversation, "#tokens=300 a worker will die");
      client.awaitEvent(e -> e.type().equals("token") && e.data().getLong("seq") >= 10, PATIENCE);

      GenericContainer<?> generating = workerOwning(admin, Partitioning.partitionOf(conversation, PARTITIONS));
      long killedAt = System.currentTimeMillis();
      kafka.getDockerClient().killContainerCmd(generating.getContainerId()).exec(); // SIGKILL

      List<SseClient.Event> events = client.awaitEvent(
          e -> e.type().equals("done") && e.data().getInteger("attempt") == 2, PATIENCE);
      List<SseClient.Event> answer = lastAttempt(events, messageId);
      assertThat(answer.get(0).data().getInteger("attempt")).as("answered again as the next attempt").isEqualTo(2);
      log.info("Failover: SIGKILL to the first token of attempt 2 in {} ms",
          answer.stream().filter(e -> e.type().equals("token")).findFirst().orElseThrow().receivedAtMillis() - killedAt);
      assertCompleteAnswer(answer, conversation, messageId, PARTITIONS);
      assertThat(Answers.tokenCount(answer, messageId)).isEqualTo(300);
    }
  }

  @Test
  @Order(5)
  void aWorkerStoppedWithSigtermFinishesItsAnswerAndNothingIsAnsweredTwice() {
    String conversation = "containers-worker-drain";
    GenericContainer<?> survivor = Stream.of(worker1, worker2).filter(GenericContainer::isRunning)
        .findFirst().orElseThrow(() -> new AssertionError("no worker left running"));
    try (SseClient client = SseClient.connect(eventsUrl(gateway1, conversation))) {
      String messageId = Http.postMessage(baseUrl(gateway1), conversation, "#tokens=200 finish before you stop");
      client.awaitEvent(e -> e.type().equals("token") && e.data().getLong("seq") >= 10, PATIENCE);

      // docker stop: SIGTERM, then SIGKILL only after 60 s. The worker drains (up to 30 s) and exits.
      kafka.getDockerClient().stopContainerCmd(survivor.getContainerId()).withTimeout(60).exec();
      List<SseClient.Event> events = client.awaitTerminal(PATIENCE);
      assertThat(events.get(events.size() - 1).type()).isEqualTo("done");
      assertCompleteAnswer(events, conversation, messageId, PARTITIONS);

      GenericContainer<?> replacement = worker();
      replacement.start();
      try {
        String next = Http.postMessage(baseUrl(gateway1), conversation, "#tokens=5 after the restart");
        List<SseClient.Event> all = client.awaitEvent(
            e -> e.type().equals("done") && e.data().getString("messageId").equals(next), PATIENCE);
        assertThat(all).filteredOn(e -> e.type().equals("start") && e.data().getString("messageId").equals(messageId))
            .as("the drained answer is not generated again").hasSize(1);
      } finally {
        replacement.stop();
      }
    }
  }

  /**
   * The worker container whose group member owns the requests partition (by the client id it logs at
   * start), once the group has settled: a worker back from a pause rejoins, and for a moment no one owns it.
   */
  private static GenericContainer<?> workerOwning(Admin admin, int partition) {
    String[] clientId = {null};
    await().atMost(PATIENCE).until(() -> {
      ConsumerGroupDescription group = admin.describeConsumerGroups(List.of("tokenrail-workers"))
          .all().get(30, TimeUnit.SECONDS).get("tokenrail-workers");
      clientId[0] = group.members().stream()
          .filter(m -> m.assignment().topicPartitions().contains(new TopicPartition(REQUESTS_TOPIC, partition)))
          .map(MemberDescription::clientId).findFirst().orElse(null);
      return clientId[0] != null;
    });
    return Stream.of(worker1, worker2)
        .filter(w -> w.getLogs().contains("Worker " + clientId[0] + " starting"))
        .findFirst().orElseThrow(() -> new AssertionError("no container logged " + clientId[0]));
  }

  private static GenericContainer<?> worker() {
    return new GenericContainer<>(workerImage)
        .withNetwork(network)
        .withEnv(Map.of(
            "KAFKA_BOOTSTRAP_SERVERS", "kafka:19092",
            "TOKENRAIL_PARTITIONS", Integer.toString(PARTITIONS),
            "TOKENRAIL_DEMO_TOKENS_PER_SECOND", "50",
            "TOKENRAIL_DEMO_TTFT_MS", "100"))
        .dependsOn(kafka)
        .waitingFor(Wait.forLogMessage(".*producer-worker running.*", 1).withStartupTimeout(Duration.ofMinutes(2)));
  }

  private static GenericContainer<?> gateway() {
    return new GenericContainer<>(gatewayImage)
        .withNetwork(network)
        .withEnv(Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka:19092", "TOKENRAIL_PARTITIONS", Integer.toString(PARTITIONS)))
        .withExposedPorts(8080)
        .dependsOn(kafka)
        .waitingFor(Wait.forHttp("/ready").forStatusCode(200).withStartupTimeout(Duration.ofMinutes(2)));
  }

  private static String baseUrl(GenericContainer<?> gateway) {
    return "http://" + gateway.getHost() + ":" + gateway.getMappedPort(8080);
  }

  private static String eventsUrl(GenericContainer<?> gateway, String conversation) {
    return baseUrl(gateway) + "/api/conversations/" + conversation + "/events";
  }
}
