package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrail.gateway.access.ClientLimits;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * No one subject can take a gateway: messages are rate-limited per subject (429 with {@code Retry-After},
 * nothing stored), open streams are capped per subject (429) and per gateway (503), and a closed stream
 * gives its place back.
 */
@ExtendWith(SharedKafka.class)
class LimitsTest {

  private static final ClientLimits LIMITS = new ClientLimits(3, 2, 5);
  private static TokenrailStack stack; // a gateway alone: what is limited happens before any worker
  private static String base;
  private static TestTokens tokens;

  @BeforeAll
  static void start() {
    stack = TokenrailStack.withoutWorker(0);
    GatewayVerticle gateway = TokenrailStack.startGateway(stack.vertx(), TokenrailStack.gatewayConfig(stack.kafka())
        .withAuth(TestTokens.SETTINGS).withLimits(LIMITS));
    base = "http://localhost:" + gateway.actualPort();
    tokens = new TestTokens(stack.vertx());
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @Test
  void aSubjectPastItsMessageRateGets429WithRetryAfterAndNothingIsStored() {
    String erin = tokens.forSubject("erin");
    for (int i = 0; i < LIMITS.messagesPerMinute(); i++) {
      assertThat(post(erin, "rate-a", "message " + i).status()).isEqualTo(202);
    }
    Http.Response refused = post(erin, "rate-b", "one too many");
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.json().getJsonObject("error").getString("code")).isEqualTo("rate_limited");
    // A bucket of 3 a minute gives one back every 20 s.
    assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 20L);
    assertThat(get(erin, "/api/conversations/rate-b").status())
        .as("the refused message started no conversation").isEqualTo(404);
    assertThat(post(tokens.forSubject("frank"), "rate-a", "someone else").status())
        .as("the limit is per subject").isEqualTo(202);
  }

  @Test
  void aCompletionCountsAsAMessageAndIsRefusedInOpenAisShape() {
    String jill = tokens.forSubject("jill");
    for (int i = 0; i < LIMITS.messagesPerMinute(); i++) {
      assertThat(post(jill, "rate-v1", "message " + i).status()).isEqualTo(202);
    }
    Http.Response refused = Http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
        .header("Authorization", "Bearer " + jill).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("model", "demo").put("messages",
            new io.vertx.core.json.JsonArray().add(new JsonObject().put("role", "user").put("content", "hi"))).encode()))
        .build());
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.header("Retry-After")).isNotNull();
    assertThat(refused.json().getJsonObject("error").getString("type")).isEqualTo("rate_limit_error");
    assertThat(refused.json().getJsonObject("error").getString("code")).isEqualTo("rate_limited");
  }

  @Test
  void streamsAreCappedPerSubjectAndPerGateway() {
    String gina = tokens.forSubject("gina");
    String hank = tokens.forSubject("hank");
    String ivan = tokens.forSubject("ivan");
    List<SseClient> open = new ArrayList<>();
    try {
      open.add(stream(gina, "caps-1"));
      SseClient ginasSecond = stream(gina, "caps-2");
      open.add(ginasSecond);
      Http.Response third = get(gina, "/api/conversations/caps-3/events");
      assertThat(third.status()).isEqualTo(429);
      assertThat(third.json().getJsonObject("error").getString("code")).isEqualTo("too_many_streams");
      assertThat(third.header("Retry-After")).isNotNull();

      open.add(stream(hank, "caps-1"));
      open.add(stream(hank, "caps-2"));
      open.add(stream(ivan, "caps-1")); // five: the gateway is full
      Http.Response full = get(ivan, "/api/conversations/caps-2/events");
      assertThat(full.status()).isEqualTo(503);
      assertThat(full.json().getJsonObject("error").getString("code")).isEqualTo("gateway_full");

      // Gina closes a stream: its place is hers again once the gateway sees the connection go.
      ginasSecond.close();
      open.remove(ginasSecond);
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        try {
          open.add(stream(gina, "caps-2"));
          return true;
        } catch (IllegalStateException refusedForNow) {
          return false;
        }
      });
    } finally {
      open.forEach(SseClient::close);
    }
  }

  private static SseClient stream(String token, String conversation) {
    return SseClient.connect(base + "/api/conversations/" + conversation + "/events", Http.bearer(token));
  }

  private static Http.Response post(String token, String conversation, String text) {
    return Http.postMessage(base, conversation, text, token);
  }

  private static Http.Response get(String token, String path) {
    return Http.get(base + path, token);
  }
}
