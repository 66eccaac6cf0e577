package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrail.gateway.GatewayMain;
import dev.tokenrail.kafka.EmbeddedKafkaBroker;
import dev.tokenrail.protocol.Topics;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.TopicSetup;
import dev.tokenrail.testkit.Answers;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SelfSignedTls;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.WorkerMain;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tokenrail against Kafka as a managed cluster runs it: a SASL_SSL listener (SCRAM-SHA-512, a certificate
 * from a private CA), an authorizer, topics the platform team created, and each role holding only the ACLs
 * {@code docs/operations.md} lists. The runnable jars' {@code main}s run in JVMs of their own with the
 * settings a user gives them: the worker a client properties file with PEM trust, the gateway
 * {@code TOKENRAIL_KAFKA_CLIENT_*} variables with a JKS trust store.
 *
 * <p>Its own broker, not the suite's: the authorizer and the secured listener are this class's subject.
 */
class SecuredKafkaTest {

  private static final Duration PATIENCE = Duration.ofSeconds(90);
  private static final String WORKER = "tokenrail-worker";
  private static final String GATEWAY = "tokenrail-gateway";
  private static final String WORKER_PASSWORD = "w-" + UUID.randomUUID();
  private static final String GATEWAY_PASSWORD = "g-" + UUID.randomUUID();
  private static final String WRONG_PASSWORD = "not-the-password-" + UUID.randomUUID();
  /** The gateway's PLAIN password: the broker's JAAS line lists PLAIN users, apart from the SCRAM credentials. */
  private static final String GATEWAY_PLAIN_PASSWORD = "gp-" + UUID.randomUUID();
  private static final Topics TOPICS = new Topics("secured.");

  private static Path dir;
  private static SelfSignedTls tls;
  private static EmbeddedKafkaBroker broker;

  @BeforeAll
  static void startSecuredBroker() throws Exception {
    dir = Files.createTempDirectory("tokenrail-secured");
    tls = SelfSignedTls.create(dir);
    // The plaintext listener is the broker's own and the platform team's (ANONYMOUS, a super user here);
    // Tokenrail's processes use only the SASL_SSL one, as the users below.
    broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0, Map.of(
            "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users", "User:ANONYMOUS"),
        Optional.of(new EmbeddedKafkaBroker.SecuredListener(0, tls.keyStore(), tls.keyStorePassword(),
            Map.of(GATEWAY, GATEWAY_PLAIN_PASSWORD))));
    broker.addScramUser(WORKER, WORKER_PASSWORD);
    broker.addScramUser(GATEWAY, GATEWAY_PASSWORD);
    TopicSetup.ensureTopics(new KafkaSettings(broker.bootstrapServers(), TOPICS, 2, 5)); // the platform team's topics
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      admin.createAcls(documentedAcls()).all().get(30, TimeUnit.SECONDS);
    }
  }

  @AfterAll
  static void stop() throws IOException {
    if (broker != null) {
      broker.close();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void aWorkerAndAGatewayStreamAnAnswerOverSaslSslHoldingOnlyTheirDocumentedAcls() throws Exception {
    int metricsPort = JvmProcess.freePort();
    int port = JvmProcess.freePort();
    try (JvmProcess worker = JvmProcess.start(WorkerMain.class, workerEnv(metricsPort, WORKER_PASSWORD));
         JvmProcess gateway = JvmProcess.start(GatewayMain.class, gatewayEnv(port, GATEWAY_PASSWORD))) {
      String base = "http://localhost:" + port;
      awaitStatus(base + "/ready", 200, gateway);
      awaitStatus("http://localhost:" + metricsPort + "/ready", 200, worker);

      String conversation = "secured-chat";
      try (SseClient client = SseClient.connect(base + "/api/conversations/" + conversation + "/events")) {
        String messageId = Http.postMessage(base, conversation, "#tokens=25 hello over SASL_SSL");
        List<SseClient.Event> events = client.awaitTerminal(PATIENCE);
        assertCompleteAnswer(events, conversation, messageId, 2);
        assertThat(Answers.tokenCount(events, messageId)).isEqualTo(25);
      }
      String metrics = Http.get(base + "/metrics").body();
      assertThat(metrics).contains("kafka_").doesNotContain(GATEWAY_PASSWORD, tls.trustStorePassword());
      for (JvmProcess p : List.of(worker, gateway)) {
        assertThat(p.output()).as("no secret in the output")
            .doesNotContain(WORKER_PASSWORD, GATEWAY_PASSWORD, tls.trustStorePassword(), "ScramLoginModule");
        assertThat(p.output()).doesNotContain("refuses this process");
      }
    }
  }

  /**
   * The other mechanisms managed clusters offer, each carrying part of one answer: the worker logs in with
   * OAUTHBEARER (Kafka's unsecured tokens stand in for an identity provider's: the principal is the token's
   * subject), the gateway that takes the message with PLAIN, the one that streams it with SCRAM-SHA-256. The
   * principals, and so the ACLs, are the same as with SCRAM-SHA-512.
   */
  @Test
  void oauthBearerPlainAndScramSha256CarryAnAnswerToo() throws Exception {
    int metricsPort = JvmProcess.freePort();
    int plainPort = JvmProcess.freePort();
    int scramPort = JvmProcess.freePort();
    Path workerFile = dir.resolve("worker-oauth.properties");
    writeLogin(workerFile, "OAUTHBEARER", oauthJaas(WORKER));
    Map<String, String> workerEnv = new HashMap<>(baseEnv());
    workerEnv.put("TOKENRAIL_METRICS_PORT", Integer.toString(metricsPort));
    workerEnv.put("TOKENRAIL_KAFKA_PROPERTIES_FILE", workerFile.toString());
    Map<String, String> plainEnv = new HashMap<>(baseEnv());
    plainEnv.put("PORT", Integer.toString(plainPort));
    plainEnv.putAll(clientVariables("PLAIN", plainJaas(GATEWAY, GATEWAY_PLAIN_PASSWORD)));
    Map<String, String> scramEnv = new HashMap<>(baseEnv());
    scramEnv.put("PORT", Integer.toString(scramPort));
    scramEnv.putAll(clientVariables("SCRAM-SHA-256", scramJaas(GATEWAY, GATEWAY_PASSWORD)));
    try (JvmProcess worker = JvmProcess.start(WorkerMain.class, workerEnv);
         JvmProcess plainGateway = JvmProcess.start(GatewayMain.class, plainEnv);
         JvmProcess scramGateway = JvmProcess.start(GatewayMain.class, scramEnv)) {
      String plainBase = "http://localhost:" + plainPort;
      String scramBase = "http://localhost:" + scramPort;
      awaitStatus(plainBase + "/ready", 200, plainGateway);
      awaitStatus(scramBase + "/ready", 200, scramGateway);
      awaitStatus("http://localhost:" + metricsPort + "/ready", 200, worker);

      String conversation = "secured-mechanisms";
      try (SseClient client = SseClient.connect(scramBase + "/api/conversations/" + conversation + "/events")) {
        String messageId = Http.postMessage(plainBase, conversation, "#tokens=15 three mechanisms");
        List<SseClient.Event> events = client.awaitTerminal(PATIENCE);
        assertCompleteAnswer(events, conversation, messageId, 2);
        assertThat(Answers.tokenCount(events, messageId)).isEqualTo(15);
      }
      for (JvmProcess p : List.of(worker, plainGateway, scramGateway)) {
        assertThat(p.output()).as("no secret in the output")
            .doesNotContain(GATEWAY_PASSWORD, GATEWAY_PLAIN_PASSWORD, tls.trustStorePassword(), "PlainLoginModule",
                "OAuthBearerLoginModule");
        assertThat(p.output()).doesNotContain("refuses this process");
      }
    }
  }

  /**
   * A wrong password: the gateway stays up, not ready, its API answering 503; it says why in one line,
   * without the secret, and tries again less and less often. Once the mounted secret file is fixed (as a
   * rotated Kubernetes secret is updated in place) it becomes ready without a restart.
   */
  @Test
  void aGatewayWithAWrongPasswordWaitsNotReadySaysWhyOnceAndRecoversWhenItsSecretFileIsFixed() throws Exception {
    int port = JvmProcess.freePort();
    Path secret = dir.resolve("gateway-kafka.properties");
    writeClientProperties(secret, GATEWAY, WRONG_PASSWORD);
    Map<String, String> env = new HashMap<>(baseEnv());
    env.put("PORT", Integer.toString(port));
    env.put("TOKENRAIL_KAFKA_PROPERTIES_FILE", secret.toString());
    try (JvmProcess gateway = JvmProcess.start(GatewayMain.class, env)) {
      String base = "http://localhost:" + port;
      JsonObject[] ready = {null};
      await().atMost(PATIENCE).ignoreExceptions().until(() -> {
        Http.Response r = Http.get(base + "/ready");
        ready[0] = r.json();
        return r.status() == 503 && ready[0].getInteger("attempts", 0) >= 3;
      });
      assertThat(ready[0].getString("status")).isEqualTo("DOWN");
      assertThat(ready[0].getString("reason")).contains("Kafka refuses this process", "invalid credentials", "SCRAM-SHA-512");
      // Backing off, not spinning: 2 s after the first attempt, 4 after the second, 8 after the third, ...
      int attempts = ready[0].getInteger("attempts");
      assertThat(ready[0].getLong("nextAttemptInSeconds")).isEqualTo(Math.min(60, 1L << attempts));
      assertThat(Http.get(base + "/health").status()).isEqualTo(200);

      Http.Response post = Http.postMessage(base, "secured-refused", "hello?", null);
      assertThat(post.status()).isEqualTo(503);
      assertThat(post.body()).as("the secret is in no answer").doesNotContain(WRONG_PASSWORD, "ScramLoginModule");
      assertThat(Http.get(base + "/ready").body()).doesNotContain(WRONG_PASSWORD, "ScramLoginModule");
      assertThat(Http.get(base + "/metrics").body()).doesNotContain(WRONG_PASSWORD, "ScramLoginModule");
      assertThat(post.header("Retry-After")).isNotNull();
      assertThat(post.json().getJsonObject("error").getString("code")).isEqualTo("kafka_unavailable");
      Http.Response completion = Http.postJson(base + "/v1/chat/completions",
          "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
      assertThat(completion.status()).isEqualTo(503);
      assertThat(completion.json().getJsonObject("error").getString("type")).as("OpenAI's error shape on /v1")
          .isEqualTo("server_error");

      assertThat(gateway.isAlive()).isTrue();
      assertThat(errorLines(gateway)).as("one line says why, however often it tries: %s", gateway.output())
          .singleElement().asString()
          .contains("KafkaAccess", "sse-gateway: Kafka at " + broker.securedBootstrapServers().orElseThrow()
              + " refuses this process", "invalid credentials");
      assertThat(gateway.output()).as("the secret never shows").doesNotContain(WRONG_PASSWORD, "ScramLoginModule");

      writeClientProperties(secret, GATEWAY, GATEWAY_PASSWORD); // the operator fixes the secret
      awaitStatus(base + "/ready", 200, gateway);
      assertThat(Http.postMessage(base, "secured-recovered", "#tokens=3 hello again", null).status()).isEqualTo(202);
      assertThat(gateway.output()).contains("Kafka at " + broker.securedBootstrapServers().orElseThrow()
          + " accepts this process now");
    }
  }

  @Test
  void aWorkerWithAWrongPasswordIsNotReadyAndSaysWhyOnceWithoutTheSecret() throws Exception {
    int metricsPort = JvmProcess.freePort();
    Map<String, String> env = new HashMap<>(baseEnv());
    env.put("TOKENRAIL_METRICS_PORT", Integer.toString(metricsPort));
    env.putAll(clientVariables(EmbeddedKafkaBroker.SCRAM_MECHANISM, scramJaas(WORKER, WRONG_PASSWORD)));
    try (JvmProcess worker = JvmProcess.start(WorkerMain.class, env)) {
      String ready = "http://localhost:" + metricsPort + "/ready";
      JsonObject[] body = {null};
      await().atMost(PATIENCE).ignoreExceptions().until(() -> {
        Http.Response r = Http.get(ready);
        body[0] = r.json();
        return r.status() == 503 && body[0].getInteger("attempts", 0) >= 2;
      });
      assertThat(body[0].getString("reason")).contains("invalid credentials");
      assertThat(Http.get("http://localhost:" + metricsPort + "/health").status()).isEqualTo(200);
      assertThat(Http.get(ready).body()).as("the secret is in no answer").doesNotContain(WRONG_PASSWORD);
      assertThat(Http.get("http://localhost:" + metricsPort + "/metrics").body()).doesNotContain(WRONG_PASSWORD);
      assertThat(worker.isAlive()).isTrue();
      assertThat(errorLines(worker)).as(worker.output()).singleElement().asString()
          .contains("KafkaAccess", "producer-worker: Kafka at ", "refuses this process", "invalid credentials");
      assertThat(worker.output()).doesNotContain(WRONG_PASSWORD, "ScramLoginModule", tls.trustStorePassword());
    }
  }

  /**
   * The ACLs of docs/operations.md ("ACLs each role needs"), topic by topic, nothing prefixed or wildcard:
   * DESCRIBE is implied by READ and WRITE, so only the gateway's dead letters need it on its own.
   */
  private static List<AclBinding> documentedAcls() {
    List<AclBinding> acls = new ArrayList<>();
    allow(acls, WORKER, AclOperation.READ, TOPICS.requests(), TOPICS.memory());
    acls.add(new AclBinding(new ResourcePattern(ResourceType.GROUP, WorkerConfig.GROUP_ID, PatternType.LITERAL),
        new AccessControlEntry("User:" + WORKER, "*", AclOperation.READ, AclPermissionType.ALLOW)));
    allow(acls, WORKER, AclOperation.WRITE, TOPICS.requests(), TOPICS.events(), TOPICS.memory(), TOPICS.conversations(),
        TOPICS.deadLetters());
    allow(acls, WORKER, AclOperation.DESCRIBE_CONFIGS, TOPICS.memory(), TOPICS.conversations());
    allow(acls, GATEWAY, AclOperation.READ, TOPICS.requests(), TOPICS.events(), TOPICS.memory(), TOPICS.conversations());
    allow(acls, GATEWAY, AclOperation.WRITE, TOPICS.requests(), TOPICS.memory(), TOPICS.conversations());
    allow(acls, GATEWAY, AclOperation.DESCRIBE, TOPICS.deadLetters());
    allow(acls, GATEWAY, AclOperation.DESCRIBE_CONFIGS, TOPICS.memory(), TOPICS.conversations());
    return acls;
  }

  private static void allow(List<AclBinding> acls, String user, AclOperation operation, String... topics) {
    for (String topic : topics) {
      acls.add(new AclBinding(new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
          new AccessControlEntry("User:" + user, "*", operation, AclPermissionType.ALLOW)));
    }
  }

  private static Map<String, String> baseEnv() {
    return Map.of(
        "KAFKA_BOOTSTRAP_SERVERS", broker.securedBootstrapServers().orElseThrow(),
        "TOKENRAIL_TOPIC_PREFIX", TOPICS.prefix(),
        "TOKENRAIL_PARTITIONS", "2",
        "TOKENRAIL_CREATE_TOPICS", "false",
        "TOKENRAIL_DEMO_TTFT_MS", "0",
        "TOKENRAIL_DEMO_TOKENS_PER_SECOND", "200");
  }

  /** The worker as a properties file configures it, trusting the broker through a PEM certificate. */
  private static Map<String, String> workerEnv(int metricsPort, String password) throws IOException {
    Path file = dir.resolve("worker-kafka.properties");
    writeClientProperties(file, WORKER, password);
    Map<String, String> env = new HashMap<>(baseEnv());
    env.put("TOKENRAIL_METRICS_PORT", Integer.toString(metricsPort));
    env.put("TOKENRAIL_KAFKA_PROPERTIES_FILE", file.toString());
    return env;
  }

  /** The gateway as environment variables configure it, trusting the broker through a JKS trust store. */
  private static Map<String, String> gatewayEnv(int port, String password) {
    Map<String, String> env = new HashMap<>(baseEnv());
    env.put("PORT", Integer.toString(port));
    env.putAll(clientVariables(EmbeddedKafkaBroker.SCRAM_MECHANISM, scramJaas(GATEWAY, password)));
    return env;
  }

  private static Map<String, String> clientVariables(String mechanism, String jaas) {
    return Map.of(
        "TOKENRAIL_KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_SSL",
        "TOKENRAIL_KAFKA_CLIENT_SASL_MECHANISM", mechanism,
        "TOKENRAIL_KAFKA_CLIENT_SASL_JAAS_CONFIG", jaas,
        "TOKENRAIL_KAFKA_CLIENT_SSL_TRUSTSTORE_TYPE", "JKS",
        "TOKENRAIL_KAFKA_CLIENT_SSL_TRUSTSTORE_LOCATION", tls.trustStoreJks().toString(),
        "TOKENRAIL_KAFKA_CLIENT_SSL_TRUSTSTORE_PASSWORD", tls.trustStorePassword());
  }

  private static void writeClientProperties(Path file, String user, String password) throws IOException {
    writeLogin(file, EmbeddedKafkaBroker.SCRAM_MECHANISM, scramJaas(user, password));
  }

  /** A client properties file for SASL_SSL with {@code mechanism}, trusting the broker through a PEM certificate. */
  private static void writeLogin(Path file, String mechanism, String jaas) throws IOException {
    Path next = file.resolveSibling(file.getFileName() + ".next");
    Files.writeString(next, String.join("\n",
        "security.protocol=SASL_SSL",
        "sasl.mechanism=" + mechanism,
        "sasl.jaas.config=" + jaas,
        "ssl.truststore.type=PEM",
        "ssl.truststore.location=" + tls.certificatePem()));
    Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static String scramJaas(String user, String password) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
        + "\" password=\"" + password + "\";";
  }

  private static String plainJaas(String user, String password) {
    return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user
        + "\" password=\"" + password + "\";";
  }

  /** Kafka's unsecured token login: a token whose subject is {@code user}, no identity provider. */
  private static String oauthJaas(String user) {
    return "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\""
        + user + "\";";
  }

  private static List<String> errorLines(JvmProcess process) {
    return process.lines().stream().filter(l -> l.contains(" ERROR ")).toList();
  }

  /**
   * Waits for {@code url} to answer {@code status}; fails at once, with the process's output, if the process exits,
   * and with its output if time runs out. (A check that threw inside the condition was swallowed by
   * {@code ignoreExceptions()}, which ignores errors too: a process that died showed as a 90 s timeout saying nothing.)
   */
  private static void awaitStatus(String url, int status, JvmProcess process) {
    try {
      await().atMost(PATIENCE).failFast("the process exited", () -> !process.isAlive())
          .ignoreExceptions().until(() -> Http.get(url).status() == status);
    } catch (org.awaitility.core.ConditionTimeoutException | org.awaitility.core.TerminalFailureException e) {
      throw new AssertionError(url + " did not answer " + status + " within " + PATIENCE + " (" + e.getMessage()
          + "); the process's output:\n" + process.output(), e);
    }
  }
}
