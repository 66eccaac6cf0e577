package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.WorkerVerticle;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * With a JWT secret configured, every API call needs a valid bearer token, and a conversation belongs to
 * the token's subject: another subject using the same conversation id has a conversation of its own and
 * can't read, cancel or resume into the first one's — not even with a forged {@code Last-Event-ID}.
 */
@ExtendWith(SharedKafka.class)
class AuthTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static TokenrailStack stack; // no gateway of its own: the test starts one with auth
  private static String base;
  private static TestTokens signer;
  private static TestTokens otherSigner;

  @BeforeAll
  static void start() {
    stack = TokenrailStack.withoutWorker(0);
    TokenrailStack.await(stack.vertx().deployVerticle(new WorkerVerticle(
        WorkerConfig.of(stack.kafka(), ModelSettings.demo(500, 10), 1_000).withDrainTimeout(Duration.ZERO))));
    GatewayVerticle gateway = TokenrailStack.startGateway(stack.vertx(), TokenrailStack.gatewayConfig(stack.kafka())
        .withAuth(TestTokens.SETTINGS));
    base = "http://localhost:" + gateway.actualPort();
    signer = new TestTokens(stack.vertx());
    otherSigner = new TestTokens(stack.vertx(), "another-secret-of-at-least-thirty-two-chars");
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"missing", "expired", "not-yet-valid", "wrong-signature", "wrong-issuer", "wrong-audience",
      "alg-none", "no-subject", "garbage"})
  void aCallWithoutAValidTokenIs401WithAChallengeAndStoresNothing(String kind) {
    long now = System.currentTimeMillis() / 1000;
    JsonObject claims = claims("alice");
    String token = switch (kind) {
      case "missing" -> null;
      case "expired" -> signer.sign(claims.put("exp", now - 60));
      case "not-yet-valid" -> signer.sign(claims.put("nbf", now + 600));
      case "wrong-signature" -> otherSigner.sign(claims);
      case "wrong-issuer" -> signer.sign(claims.put("iss", "https://someone.else"));
      case "wrong-audience" -> signer.sign(claims.put("aud", "another-service"));
      case "alg-none" -> unsigned(claims);
      case "no-subject" -> signer.sign(claims("alice").put("sub", ""));
      default -> "not.a.jwt";
    };
    HttpRequest.Builder post = HttpRequest.newBuilder(URI.create(base + "/api/conversations/auth-" + kind + "/messages"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("text", "hello").encode()));
    if (token != null) {
      post.header("Authorization", "Bearer " + token);
    }
    Http.Response r = Http.send(post.build());
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.json().getJsonObject("error").getString("code")).isEqualTo("unauthorized");
    assertThat(Http.send(HttpRequest.newBuilder(URI.create(base + "/api/conversations/auth-" + kind)).build()).status())
        .as("the transcript route needs a token too").isEqualTo(401);
  }

  @Test
  void theChallengeHeaderNamesBearerAndHealthStaysOpen() throws Exception {
    var response = java.net.http.HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(base + "/api/conversations/c1/events")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.headers().firstValue("WWW-Authenticate").orElse("")).startsWith("Bearer");
    assertThat(Http.get(base + "/health").status()).isEqualTo(200);
  }

  /** Tokens travel in headers and, for EventSource, in the URL: neither reaches a log line. */
  @Test
  void tokensAndTheSecretNeverAppearInLogs() {
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
        new ch.qos.logback.core.read.ListAppender<>();
    ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
        .getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
    String token = signer.forSubject("erin");
    String forged = otherSigner.forSubject("erin");
    try {
      try (SseClient stream = SseClient.connect(eventsUrl("logged") + "?access_token=" + token)) {
        post(token, "logged", "#tokens=5 a logged conversation");
        stream.awaitTerminal(PATIENCE);
      }
      assertThat(Http.get(eventsUrl("logged") + "?access_token=" + forged).status()).isEqualTo(401);
      assertThat(Http.get(eventsUrl("logged") + "?access_token=" + forged + "&lastEventId=x").status()).isEqualTo(401);
    } finally {
      root.detachAppender(logs);
    }
    assertThat(logs.list).as("log lines of the exchange").isNotEmpty().allSatisfy(line ->
        assertThat(line.getFormattedMessage()).doesNotContain(token).doesNotContain(forged)
            .doesNotContain(TestTokens.SECRET));
    assertThat(logs.list).anySatisfy(line -> assertThat(line.getFormattedMessage()).contains("conversationId=logged"));
  }

  @Test
  void twoSubjectsWithTheSameConversationIdHaveSeparateConversations() {
    // An id whose two scoped keys share a partition: a forged Last-Event-ID then points into the right
    // partition, and only the key keeps the other subject's events out.
    String id = IntStream.range(0, 10_000).mapToObj(i -> "shared-" + i)
        .filter(c -> Partitioning.partitionOf(ConversationIds.kafkaKey("alice", c), TokenrailStack.PARTITIONS)
            == Partitioning.partitionOf(ConversationIds.kafkaKey("bob", c), TokenrailStack.PARTITIONS))
        .findFirst().orElseThrow();
    String alice = signer.sign(claims("alice"));
    String bob = signer.sign(claims("bob"));

    String aliceMessage;
    String aliceFirstEventId;
    try (SseClient a = SseClient.connect(eventsUrl(id) + "?access_token=" + alice)) { // as a browser's EventSource
      aliceMessage = post(alice, id, "#tokens=20 alice's secret answer");
      List<SseClient.Event> events = a.awaitTerminal(PATIENCE);
      assertThat(events).allSatisfy(e -> assertThat(e.data().getString("messageId")).isEqualTo(aliceMessage));
      aliceFirstEventId = events.get(0).id();
    }

    // Bob, on the same id, with Alice's position as his Last-Event-ID: not an event of his conversation.
    Http.Response forged = Http.send(HttpRequest.newBuilder(URI.create(eventsUrl(id)))
        .header("Authorization", "Bearer " + bob).header("Last-Event-ID", aliceFirstEventId).build());
    assertThat(forged.status()).isEqualTo(400);
    assertThat(forged.json().getJsonObject("error").getString("code")).isEqualTo("invalid_last_event_id");
    // On his own stream he sees only his own answer.
    try (SseClient b = SseClient.connect(eventsUrl(id), Map.of("Authorization", "Bearer " + bob))) {
      String bobMessage = post(bob, id, "#tokens=5 bob's answer");
      List<SseClient.Event> events = b.awaitEvent(e -> e.type().equals("done"), PATIENCE);
      assertThat(events).isNotEmpty()
          .allSatisfy(e -> assertThat(e.data().getString("messageId")).isEqualTo(bobMessage));
    }

    // Alice's conversation is not there for Bob: no transcript of hers, no cancel of her message.
    JsonObject bobsTranscript = get(bob, "/api/conversations/" + id).json();
    assertThat(bobsTranscript.getJsonArray("messages").encode()).doesNotContain(aliceMessage).doesNotContain("secret");
    Http.Response cancel = Http.send(HttpRequest.newBuilder(URI.create(base + "/api/conversations/" + id + "/cancel"))
        .header("Authorization", "Bearer " + bob).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("messageId", aliceMessage).encode())).build());
    assertThat(cancel.status()).isEqualTo(404);
    assertThat(get(signer.sign(claims("carol")), "/api/conversations/" + id).status())
        .as("a subject who never used the id: as if it didn't exist").isEqualTo(404);
    assertThat(get(alice, "/api/conversations/" + id).json().getJsonArray("messages").encode()).contains(aliceMessage);
  }

  /**
   * Keys from an identity provider's JWKS URL (served here by a Vert.x server, as an IdP would): a token
   * signed with the published RSA key passes, one signed with another RSA key doesn't; with
   * {@code protectMetrics}, {@code /metrics} needs a token too.
   */
  @Test
  void keysComeFromAJwksUrlAndMetricsCanRequireAToken() throws Exception {
    java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    java.security.KeyPair first = generator.generateKeyPair();
    java.security.KeyPair unpublished = generator.generateKeyPair();
    java.security.KeyPair rotatedIn = generator.generateKeyPair();
    java.security.interfaces.RSAPublicKey key = (java.security.interfaces.RSAPublicKey) first.getPublic();
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    JsonObject jwks = new JsonObject().put("keys", new io.vertx.core.json.JsonArray()
        .add(new JsonObject().put("kty", "RSA").put("use", "enc").put("kid", "encryption-key").put("alg", "RSA-OAEP")
            .put("n", b64.encodeToString(unsignedBytes(key.getModulus())))
            .put("e", b64.encodeToString(unsignedBytes(key.getPublicExponent()))))
        .add(new JsonObject().put("kty", "RSA").put("use", "sig").put("kid", "key-1").put("alg", "RS256")
            .put("n", b64.encodeToString(unsignedBytes(key.getModulus())))
            .put("e", b64.encodeToString(unsignedBytes(key.getPublicExponent())))));
    java.util.concurrent.atomic.AtomicReference<JsonObject> published = new java.util.concurrent.atomic.AtomicReference<>(jwks);
    java.util.concurrent.atomic.AtomicInteger fetches = new java.util.concurrent.atomic.AtomicInteger();
    io.vertx.core.http.HttpServer idp = TokenrailStack.await(stack.vertx().createHttpServer()
        .requestHandler(r -> {
          fetches.incrementAndGet();
          r.response().putHeader("Content-Type", "application/json").end(published.get().encode());
        })
        .listen(0));
    GatewayVerticle gateway = TokenrailStack.startGateway(stack.vertx(), TokenrailStack.gatewayConfig(stack.kafka())
        .withAuth(dev.tokenrail.gateway.access.AuthSettings.jwks(
            URI.create("http://localhost:" + idp.actualPort() + "/.well-known/jwks.json"), TestTokens.ISSUER,
            TestTokens.AUDIENCE).withProtectedMetrics()));
    String jwksBase = "http://localhost:" + gateway.actualPort();
    try {
      String good = rs256(first, "key-1").generateToken(claims("dana"));
      String forged = rs256(unpublished, "key-1").generateToken(claims("dana"));
      HttpRequest.Builder transcript = HttpRequest.newBuilder(URI.create(jwksBase + "/api/conversations/jwks-1"));
      assertThat(Http.send(transcript.copy().header("Authorization", "Bearer " + good).build()).status())
          .as("a known subject's unknown conversation: past authentication, then 404").isEqualTo(404);
      assertThat(Http.send(transcript.copy().header("Authorization", "Bearer " + forged).build()).status()).isEqualTo(401);
      assertThat(Http.send(transcript.copy().header("Authorization", "Bearer " + signer.forSubject("dana")).build())
          .status()).as("HS256 is not accepted by a JWKS-configured gateway").isEqualTo(401);

      assertThat(Http.get(jwksBase + "/metrics").status()).isEqualTo(401);
      Http.Response metrics = Http.send(HttpRequest.newBuilder(URI.create(jwksBase + "/metrics"))
          .header("Authorization", "Bearer " + good).build());
      assertThat(metrics.status()).isEqualTo(200);
      assertThat(metrics.body()).contains("tokenrail_");
      assertThat(Http.get(base + "/metrics").status()).as("open unless configured").isEqualTo(200);
      assertThat(Http.get(jwksBase + "/health").status()).isEqualTo(200);

      // The IdP rotates in key-2 and signs with it at once: the first token naming the unknown key id makes
      // the gateway fetch the JWKS again, and passes. A second unknown id within 30 s makes no fetch.
      java.security.interfaces.RSAPublicKey next = (java.security.interfaces.RSAPublicKey) rotatedIn.getPublic();
      published.set(new JsonObject().put("keys", jwks.getJsonArray("keys").copy().add(new JsonObject().put("kty", "RSA")
          .put("use", "sig").put("kid", "key-2").put("alg", "RS256")
          .put("n", b64.encodeToString(unsignedBytes(next.getModulus())))
          .put("e", b64.encodeToString(unsignedBytes(next.getPublicExponent()))))));
      int fetchesBefore = fetches.get();
      String rotated = rs256(rotatedIn, "key-2").generateToken(claims("dana"));
      assertThat(Http.send(transcript.copy().header("Authorization", "Bearer " + rotated).build()).status()).isEqualTo(404);
      assertThat(fetches.get()).isEqualTo(fetchesBefore + 1);
      String madeUp = rs256(unpublished, "key-made-up").generateToken(claims("dana"));
      assertThat(Http.send(transcript.copy().header("Authorization", "Bearer " + madeUp).build()).status()).isEqualTo(401);
      assertThat(fetches.get()).as("unknown key ids can't make the gateway fetch at will").isEqualTo(fetchesBefore + 1);
    } finally {
      TokenrailStack.await(stack.vertx().undeploy(gateway.deploymentID()));
      TokenrailStack.await(idp.close());
    }
  }

  private static JWTAuth rs256(java.security.KeyPair keys, String kid) {
    String pem = "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(keys.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
    return JWTAuth.create(stack.vertx(), new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256").setBuffer(pem).setId(kid))
        .setJWTOptions(new JWTOptions().setAlgorithm("RS256").setNoTimestamp(true)
            .setHeader(new JsonObject().put("kid", kid))));
  }

  /** A JWK's big-endian number: no sign byte. */
  private static byte[] unsignedBytes(java.math.BigInteger n) {
    byte[] bytes = n.toByteArray();
    return bytes[0] == 0 ? java.util.Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
  }

  private static String post(String token, String conversation, String text) {
    Http.Response r = Http.postMessage(base, conversation, text, token);
    assertThat(r.status()).isEqualTo(202);
    return r.json().getString("messageId");
  }

  private static Http.Response get(String token, String path) {
    return Http.get(base + path, token);
  }

  private static JsonObject claims(String subject) {
    return TestTokens.claims(subject);
  }

  /** A token that claims {@code alg: none}: no signature at all. */
  private static String unsigned(JsonObject claims) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8)) + ".";
  }

  private static String eventsUrl(String conversation) {
    return base + "/api/conversations/" + conversation + "/events";
  }
}
