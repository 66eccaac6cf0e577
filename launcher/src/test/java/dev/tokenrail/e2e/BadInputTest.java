package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.testkit.Http;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input gets a clear JSON error and changes nothing: no request reaches Kafka. */
@ExtendWith(SharedKafka.class)
class BadInputTest {

  private static TokenrailStack stack;
  private static Admin admin;

  @BeforeAll
  static void start() {
    // Gateway only: a worker would write its own markers to the requests topic while a check counts it.
    stack = TokenrailStack.withoutWorker(1);
    admin = Admin.create(new HashMap<String, Object>(stack.kafka().adminConfig()));
  }

  @AfterAll
  static void stop() {
    admin.close();
    stack.close();
  }

  static Stream<Arguments> badRequests() {
    String messages = "/api/conversations/c1/messages";
    String overLimit = "x".repeat(32 * 1024 + 1);
    String farOverLimit = "x".repeat(200 * 1024);
    return Stream.of(
        Arguments.of("malformed JSON", "POST", messages, "application/json", "{\"text\": ", 400, "invalid_json"),
        Arguments.of("JSON array", "POST", messages, "application/json", "[\"text\"]", 400, "invalid_json"),
        Arguments.of("empty body", "POST", messages, "application/json", "", 400, "invalid_json"),
        Arguments.of("no text", "POST", messages, "application/json", "{}", 400, "missing_text"),
        Arguments.of("empty text", "POST", messages, "application/json", "{\"text\":\"\"}", 400, "missing_text"),
        Arguments.of("blank text", "POST", messages, "application/json", "{\"text\":\"  \\n \"}", 400, "missing_text"),
        Arguments.of("text not a string", "POST", messages, "application/json", "{\"text\":42}", 400, "missing_text"),
        Arguments.of("text over the limit", "POST", messages, "application/json",
            new JsonObject().put("text", overLimit).encode(), 413, "text_too_long"),
        Arguments.of("body over the limit", "POST", messages, "application/json",
            new JsonObject().put("text", farOverLimit).encode(), 413, "body_too_large"),
        Arguments.of("id with a space", "POST", "/api/conversations/bad%20id/messages", "application/json",
            "{\"text\":\"hi\"}", 400, "invalid_conversation_id"),
        Arguments.of("id with a slash", "POST", "/api/conversations/a%2Fb/messages", "application/json",
            "{\"text\":\"hi\"}", 400, "invalid_conversation_id"),
        Arguments.of("id too long", "POST", "/api/conversations/" + "a".repeat(65) + "/messages", "application/json",
            "{\"text\":\"hi\"}", 400, "invalid_conversation_id"),
        Arguments.of("events of a bad id", "GET", "/api/conversations/bad.id!/events", null, null, 400,
            "invalid_conversation_id"),
        Arguments.of("wrong method on messages", "PUT", messages, "application/json", "{\"text\":\"hi\"}", 405,
            "method_not_allowed"),
        Arguments.of("wrong method on events", "DELETE", "/api/conversations/c1/events", null, null, 405,
            "method_not_allowed"),
        Arguments.of("text/plain body", "POST", messages, "text/plain", "{\"text\":\"hi\"}", 415,
            "unsupported_media_type"),
        Arguments.of("form body", "POST", messages, "application/x-www-form-urlencoded", "text=hi", 415,
            "unsupported_media_type"),
        Arguments.of("unknown route", "GET", "/api/nothing-here", null, null, 404, "not_found"),
        Arguments.of("completion without messages", "POST", "/v1/chat/completions", "application/json",
            "{\"model\":\"m\"}", 400, "invalid_messages"),
        Arguments.of("completion ending with the assistant", "POST", "/v1/chat/completions", "application/json",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}]}",
            400, "invalid_messages"),
        Arguments.of("completion with client tools", "POST", "/v1/chat/completions", "application/json",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"tools\":[{\"type\":\"function\"}]}",
            400, "invalid_tools"),
        Arguments.of("completion with a bad temperature", "POST", "/v1/chat/completions", "application/json",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"temperature\":9}", 400,
            "invalid_temperature"),
        Arguments.of("completion as a string", "POST", "/v1/chat/completions", "application/json", "\"hi\"", 400,
            "invalid_json"));
  }

  @ParameterizedTest(name = "{0} → {5} {6}")
  @MethodSource("badRequests")
  void badRequestGetsAJsonErrorAndWritesNothingToKafka(String name, String method, String path, String contentType,
                                                        String body, int status, String code) throws Exception {
    long before = requestsInKafka();
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(stack.baseUrl() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    Http.Response response = Http.send(request.build());

    assertThat(response.status()).isEqualTo(status);
    assertThat(response.contentType()).startsWith("application/json");
    JsonObject error = response.json().getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo(code);
    assertThat(error.getString("message")).isNotBlank();
    assertThat(requestsInKafka()).isEqualTo(before);
  }

  /** Found by FuzzTest: a query that is not valid percent-encoding was a 500. Raw bytes: java.net.URI refuses it. */
  @Test
  void aMalformedQueryStringIs400() throws Exception {
    long before = requestsInKafka();
    for (String target : List.of("/api/conversations/c1/events?x=%ZZ", "/api/conversations/c1/messages?x=%Z")) {
      String method = target.contains("messages") ? "POST" : "GET";
      try (java.net.Socket socket = new java.net.Socket("localhost", java.net.URI.create(stack.baseUrl()).getPort())) {
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write((method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n"
            + "Content-Type: application/json\r\nContent-Length: 13\r\nConnection: close\r\n\r\n{\"text\":\"hi\"}")
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        String response = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(response).startsWith("HTTP/1.1 400 ").contains("\"code\":\"invalid_query\"");
      }
    }
    assertThat(requestsInKafka()).isEqualTo(before);
  }

  @Test
  void aValidMessageIsCountedByTheSameCheck() throws Exception {
    long before = requestsInKafka();
    Http.postMessage(stack.baseUrl(), "c-valid", "#tokens=1 hi");
    assertThat(requestsInKafka()).isEqualTo(before + 1);
  }

  @Test
  void whenKafkaCannotTakeTheRequestThePostAnswers503NotAccepted() throws Exception {
    // A gateway whose requests topic is deleted once it runs (brokers here never create topics on their
    // own, and a gateway refuses to start without its topics): Kafka refuses every request it tries to write.
    KafkaSettings kafka = TokenrailStack.freshTopics();
    dev.tokenrail.runtime.TopicSetup.ensureTopics(kafka);
    Vertx vertx = Vertx.vertx();
    try {
      GatewayVerticle gateway = TokenrailStack.startGateway(vertx, TokenrailStack.gatewayConfig(kafka));
      admin.deleteTopics(List.of(kafka.topics().requests())).all().get(30, TimeUnit.SECONDS);
      Http.Response response = Http.postJson("http://localhost:" + gateway.actualPort() + "/api/conversations/c1/messages",
          "{\"text\":\"hello\"}");
      assertThat(response.status()).isEqualTo(503);
      assertThat(response.json().getJsonObject("error").getString("code")).isEqualTo("kafka_unavailable");
      assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).doesNotContain(kafka.topics().requests());
    } finally {
      TokenrailStack.await(vertx.close());
    }
  }

  private static long requestsInKafka() throws Exception {
    String topic = stack.kafka().topics().requests();
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (int p = 0; p < TokenrailStack.PARTITIONS; p++) {
      latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    return admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values().stream()
        .mapToLong(info -> info.offset()).sum();
  }
}
