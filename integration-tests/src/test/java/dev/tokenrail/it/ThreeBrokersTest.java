package dev.tokenrail.it;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.protocol.Topics;
import dev.tokenrail.testkit.Answers;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.FixedHostPortGenericContainer;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.lifecycle.Startables;

/**
 * Tokenrail on a three-broker KRaft cluster (each node broker and controller; topics with replication 3 and
 * {@code min.insync.replicas} 2, as Tokenrail creates them on three brokers), and a broker SIGKILLed: the
 * leader of a conversation's events partition mid-answer, the leader of its requests partition right after a
 * POST's 202. Each time the answer completes, whole and once, and the killed broker, started again, rejoins
 * every partition's in-sync replicas with nothing lost. The stall each kill caused at the client is logged.
 */
@Testcontainers(disabledWithoutDocker = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ThreeBrokersTest {

  private static final Logger log = LoggerFactory.getLogger(ThreeBrokersTest.class);
  private static final Duration PATIENCE = Duration.ofSeconds(120);
  private static final int PARTITIONS = 6;
  private static final Topics TOPICS = new Topics(Topics.DEFAULT_PREFIX);
  private static final String BOOTSTRAP = "kafka-1:19092,kafka-2:19092,kafka-3:19092";

  private static final Network network = Network.newNetwork();
  private static final String clusterId = Uuid.randomUuid().toString();
  /** Fixed host ports: a broker's advertised address must survive a restart of its container. */
  private static final int[] externalPorts = IntStream.range(0, 3).map(i -> freePort()).toArray();
  private static final List<GenericContainer<?>> brokers = IntStream.rangeClosed(1, 3).mapToObj(ThreeBrokersTest::broker).toList();
  private static final GenericContainer<?> worker = new GenericContainer<>(Images.fromModule("producer-worker"))
      .withNetwork(network)
      .withEnv(Map.of("KAFKA_BOOTSTRAP_SERVERS", BOOTSTRAP, "TOKENRAIL_PARTITIONS", Integer.toString(PARTITIONS),
          "TOKENRAIL_MIN_REPLICATION", "3", "TOKENRAIL_DEMO_TOKENS_PER_SECOND", "50", "TOKENRAIL_DEMO_TTFT_MS", "100"))
      .waitingFor(Wait.forLogMessage(".*producer-worker running.*", 1).withStartupTimeout(Duration.ofMinutes(3)));
  private static final GenericContainer<?> gateway = new GenericContainer<>(Images.fromModule("sse-gateway"))
      .withNetwork(network)
      .withEnv(Map.of("KAFKA_BOOTSTRAP_SERVERS", BOOTSTRAP, "TOKENRAIL_PARTITIONS", Integer.toString(PARTITIONS),
          "TOKENRAIL_MIN_REPLICATION", "3"))
      .withExposedPorts(8080)
      .waitingFor(Wait.forHttp("/ready").forStatusCode(200).withStartupTimeout(Duration.ofMinutes(3)));
  private static Admin admin;
  private static final List<String[]> answered = new ArrayList<>(); // {conversation, messageId, text}

  @BeforeAll
  static void start() {
    long t0 = System.nanoTime();
    Startables.deepStart(brokers).join(); // together: each waits for a quorum of controllers
    admin = Admin.create(Map.of("bootstrap.servers", String.join(",", IntStream.of(externalPorts)
        .mapToObj(p -> "localhost:" + p).toList())));
    Startables.deepStart(worker, gateway).join();
    log.info("3 brokers, a worker and a gateway ready in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  @AfterAll
  static void stop() {
    if (admin != null) {
      admin.close();
    }
    Stream.concat(Stream.of(gateway, worker), brokers.stream()).forEach(GenericContainer::stop);
    network.close();
  }

  @Test
  @Order(1)
  void topicsAreReplicatedThreeTimesWithTwoInSync() throws Exception {
    for (String topic : TOPICS.all()) {
      assertThat(describe(topic).partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
      assertThat(admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
              org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topic))).all().get(30, TimeUnit.SECONDS)
          .values().iterator().next().get("min.insync.replicas").value()).as(topic).isEqualTo("2");
    }
  }

  @Test
  @Order(2)
  void theEventsPartitionsLeaderKilledMidAnswerCostsAStallButNotAToken() throws Exception {
    String conversation = "three-brokers-events-leader";
    int partition = Partitioning.partitionOf(conversation, PARTITIONS);
    List<SseClient.Event> received = new ArrayList<>();
    SseClient client = SseClient.connect(eventsUrl(conversation));
    String messageId = Http.postMessage(baseUrl(), conversation, "#tokens=250 a broker will die");
    client.awaitEvent(e -> e.type().equals("token") && e.data().getLong("seq") >= 20, PATIENCE);

    GenericContainer<?> leader = leaderOf(TOPICS.events(), partition);
    long killedAt = System.currentTimeMillis();
    kill(leader);
    // The client's connection drops with the broker (as a phone's does in a tunnel): as EventSource does, it
    // opens the stream again with Last-Event-ID — while the partition's new leader is being elected — and
    // keeps doing so until a stream ends with the answer's terminal event.
    received.addAll(client.events());
    client.close();
    int resumes = 0;
    try {
      while (received.stream().noneMatch(ThreeBrokersTest::isTerminal)) {
        SseClient[] reopened = {null};
        await().atMost(PATIENCE).ignoreExceptions().until(() -> {
          reopened[0] = SseClient.connect(eventsUrl(conversation), Map.of("Last-Event-ID", lastId(received)));
          return reopened[0].response().statusCode() == 200;
        });
        resumes++;
        client = reopened[0];
        SseClient current = client;
        await().atMost(PATIENCE).until(() -> current.events().stream().anyMatch(ThreeBrokersTest::isTerminal)
            || current.ended());
        received.addAll(current.events());
        current.close();
      }
    } finally {
      client.close();
      restart(leader); // before the next kill: with two brokers down, no write reaches min.insync.replicas
    }
    assertThat(resumes).as("the client resumed with Last-Event-ID").isGreaterThanOrEqualTo(1);
    assertCompleteAnswer(received, conversation, messageId, PARTITIONS);
    assertThat(Answers.tokenCount(received, messageId)).isEqualTo(250);
    log.info("Events leader (broker {}) SIGKILLed mid-answer: kill to the next token {} ms, longest wait for a token"
        + " at the client {} ms, {} resume(s)", leader.getNetworkAliases().get(1), nextTokenAfter(received, killedAt),
        stallAfter(received, killedAt), resumes);
    answered.add(new String[] {conversation, messageId, doneText(received)});
  }

  @Test
  @Order(3)
  void theRequestsPartitionsLeaderKilledRightAfterThe202LosesNoMessage() throws Exception {
    String conversation = "three-brokers-requests-leader";
    int partition = Partitioning.partitionOf(conversation, PARTITIONS);
    GenericContainer<?> leader = leaderOf(TOPICS.requests(), partition);
    try (SseClient client = SseClient.connect(eventsUrl(conversation))) {
      // The worker paused first, so the request is read only after its leader is gone: what the new leader
      // has of it is all the worker can answer from (acks=all: the 202 came after the replicas had it).
      worker.getDockerClient().pauseContainerCmd(worker.getContainerId()).exec();
      String messageId;
      long killedAt;
      try {
        messageId = Http.postMessage(baseUrl(), conversation, "#tokens=40 the 202 came, then the broker died");
        killedAt = System.currentTimeMillis();
        kill(leader);
      } finally {
        worker.getDockerClient().unpauseContainerCmd(worker.getContainerId()).exec();
      }
      List<SseClient.Event> events;
      try {
        events = client.awaitTerminal(PATIENCE);
      } finally {
        restart(leader);
      }
      assertCompleteAnswer(events, conversation, messageId, PARTITIONS);
      assertThat(Answers.tokenCount(events, messageId)).isEqualTo(40);
      log.info("Requests leader (broker {}) SIGKILLed right after the 202: kill to the first token {} ms, longest wait"
          + " for a token {} ms", leader.getNetworkAliases().get(1), nextTokenAfter(events, killedAt),
          stallAfter(events, killedAt));
      answered.add(new String[] {conversation, messageId, doneText(events)});
    }
  }

  @Test
  @Order(4)
  void afterTheRestartsEveryAnswerIsStillInTheLog() {
    assertThat(answered).hasSize(2);
    for (String[] a : answered) {
      // A replay reads the conversation from the log: the answer given during the kill, whole, once.
      try (SseClient replay = SseClient.connect(eventsUrl(a[0]) + "?messageId=" + a[1])) {
        List<SseClient.Event> events = replay.awaitTerminal(PATIENCE);
        assertCompleteAnswer(events, a[0], a[1], PARTITIONS);
        assertThat(doneText(events)).isEqualTo(a[2]);
      }
      JsonObject answer = Http.get(baseUrl() + "/api/conversations/" + a[0]).json().getJsonArray("messages").stream()
          .map(JsonObject.class::cast).filter(m -> "assistant".equals(m.getString("role"))).findFirst().orElseThrow();
      assertThat(answer.getString("status")).isEqualTo("done");
      assertThat(answer.getString("text")).isEqualTo(a[2]);
    }
  }

  private static GenericContainer<?> broker(int id) {
    int port = externalPorts[id - 1];
    @SuppressWarnings({"deprecation", "resource"})
    GenericContainer<?> b = new FixedHostPortGenericContainer<>(Images.kafka().asCanonicalNameString())
        .withFixedExposedPort(port, port)
        .withNetwork(network)
        .withNetworkAliases("kafka-" + id)
        .withEnv(Map.ofEntries(
            Map.entry("CLUSTER_ID", clusterId),
            Map.entry("KAFKA_NODE_ID", Integer.toString(id)),
            Map.entry("KAFKA_PROCESS_ROLES", "broker,controller"),
            Map.entry("KAFKA_LISTENERS", "INTERNAL://:19092,EXTERNAL://:" + port + ",CONTROLLER://:9093"),
            Map.entry("KAFKA_ADVERTISED_LISTENERS", "INTERNAL://kafka-" + id + ":19092,EXTERNAL://localhost:" + port),
            Map.entry("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT"),
            Map.entry("KAFKA_INTER_BROKER_LISTENER_NAME", "INTERNAL"),
            Map.entry("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
            Map.entry("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"),
            Map.entry("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "3"),
            Map.entry("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "3"),
            Map.entry("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "2"),
            Map.entry("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0"),
            Map.entry("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false"),
            Map.entry("KAFKA_HEAP_OPTS", "-Xms128m -Xmx512m")))
        .waitingFor(Wait.forLogMessage(".*Transitioning from RECOVERY to RUNNING.*", 1)
            .withStartupTimeout(Duration.ofMinutes(3)));
    return b;
  }

  private static TopicDescription describe(String topic) throws Exception {
    return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
  }

  private static GenericContainer<?> leaderOf(String topic, int partition) throws Exception {
    TopicPartitionInfo info = describe(topic).partitions().get(partition);
    return brokers.get(info.leader().id() - 1);
  }

  private static void kill(GenericContainer<?> broker) {
    broker.getDockerClient().killContainerCmd(broker.getContainerId()).exec(); // SIGKILL
  }

  /** Starts a killed broker's container again (same disk, same ports) and waits until it is in sync everywhere. */
  private static void restart(GenericContainer<?> broker) {
    broker.getDockerClient().startContainerCmd(broker.getContainerId()).exec();
    long started = System.nanoTime();
    await().atMost(PATIENCE).ignoreExceptions().until(() -> TOPICS.all().stream().allMatch(topic -> {
      try {
        return describe(topic).partitions().stream().allMatch(p -> p.isr().size() == 3);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }));
    log.info("Broker {} restarted and back in every partition's ISR in {} ms", broker.getNetworkAliases().get(1),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  private static boolean isTerminal(SseClient.Event e) {
    return List.of("done", "error", "cancelled").contains(e.type());
  }

  private static String lastId(List<SseClient.Event> events) {
    for (int i = events.size() - 1; i >= 0; i--) {
      if (events.get(i).id() != null) {
        return events.get(i).id();
      }
    }
    throw new AssertionError("no event with an id yet");
  }

  /** From the kill to the first token the client received after it. */
  private static long nextTokenAfter(List<SseClient.Event> events, long killedAt) {
    return events.stream().filter(e -> e.type().equals("token") && e.receivedAtMillis() >= killedAt)
        .mapToLong(e -> e.receivedAtMillis() - killedAt).findFirst().orElse(-1);
  }

  /** The longest the client waited for a token after the kill: from the kill, or between two tokens. */
  private static long stallAfter(List<SseClient.Event> events, long killedAt) {
    long previous = killedAt;
    long longest = 0;
    for (SseClient.Event e : events) {
      if (e.type().equals("token") && e.receivedAtMillis() >= killedAt) {
        longest = Math.max(longest, e.receivedAtMillis() - previous);
        previous = e.receivedAtMillis();
      }
    }
    return longest;
  }

  private static String doneText(List<SseClient.Event> events) {
    return events.stream().filter(e -> e.type().equals("done")).reduce((a, b) -> b).orElseThrow().data().getString("text");
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String baseUrl() {
    return "http://" + gateway.getHost() + ":" + gateway.getMappedPort(8080);
  }

  private static String eventsUrl(String conversation) {
    return baseUrl() + "/api/conversations/" + conversation + "/events";
  }
}
