package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrail.gateway.GatewayConfig;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.gateway.groups.GroupSettings;
import dev.tokenrail.gateway.groups.PartitionRanges;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.testkit.Answers;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two gateway groups on one broker: group A owns partitions 0-2, group B 3-5, two gateways each. Each group reads
 * only its partitions, serves its conversations (resume inside the group included), and redirects a request for the
 * other group's conversation there. The worker is the usual one: groups change nothing for it.
 */
@ExtendWith(SharedKafka.class)
class GatewayGroupsTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final PartitionRanges GROUP_A = PartitionRanges.parse("0-2");
  private static final PartitionRanges GROUP_B = PartitionRanges.parse("3-5");
  /** A client that follows redirects, as browsers' fetch and EventSource do. */
  private static final HttpClient FOLLOWING = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
      .connectTimeout(Duration.ofSeconds(10)).build();
  private static final HttpClient NOT_FOLLOWING = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private static TokenrailStack stack;
  /** Per group, its two gateways; the first of each is the one the routes name. Each in a Vert.x of its own. */
  private static final List<Vertx> vertxes = new ArrayList<>();
  private static final Map<GatewayVerticle, Vertx> gateways = new java.util.HashMap<>();
  private static GatewayVerticle a0;
  private static GatewayVerticle a1;
  private static GatewayVerticle b0;
  private static GatewayVerticle b1;
  private static GatewayVerticle unrouted;
  /** Reads every partition: what a group's gateways together should equal. */
  private static GatewayVerticle everything;
  /** Group A and B again, with authentication on: keys include the token's subject. */
  private static GatewayVerticle authA;
  private static GatewayVerticle authB;
  private static TestTokens tokens;

  @BeforeAll
  static void start() throws IOException {
    stack = TokenrailStack.start(ModelSettings.demo(200, 10), 0);
    int portA = freePort();
    int portB = freePort();
    List<GroupSettings.Route> routes = List.of(new GroupSettings.Route(GROUP_A, "http://localhost:" + portA),
        new GroupSettings.Route(GROUP_B, "http://localhost:" + portB));
    GroupSettings a = new GroupSettings(Optional.of(GROUP_A), routes);
    GroupSettings b = new GroupSettings(Optional.of(GROUP_B), routes);
    a0 = gateway(GatewayConfig.defaults(stack.kafka(), portA).withGroups(a));
    a1 = gateway(GatewayConfig.defaults(stack.kafka(), 0).withGroups(a));
    b0 = gateway(GatewayConfig.defaults(stack.kafka(), portB).withGroups(b));
    b1 = gateway(GatewayConfig.defaults(stack.kafka(), 0).withGroups(b));
    unrouted = gateway(GatewayConfig.defaults(stack.kafka(), 0).withGroups(new GroupSettings(Optional.of(GROUP_A), List.of())));
    everything = gateway(GatewayConfig.defaults(stack.kafka(), 0));
    int authPortA = freePort();
    int authPortB = freePort();
    List<GroupSettings.Route> authRoutes = List.of(new GroupSettings.Route(GROUP_A, "http://localhost:" + authPortA),
        new GroupSettings.Route(GROUP_B, "http://localhost:" + authPortB));
    authA = gateway(GatewayConfig.defaults(stack.kafka(), authPortA).withAuth(TestTokens.SETTINGS)
        .withGroups(new GroupSettings(Optional.of(GROUP_A), authRoutes)));
    authB = gateway(GatewayConfig.defaults(stack.kafka(), authPortB).withAuth(TestTokens.SETTINGS)
        .withGroups(new GroupSettings(Optional.of(GROUP_B), authRoutes)));
    tokens = new TestTokens(vertxes.get(0));
  }

  @AfterAll
  static void stop() {
    vertxes.forEach(v -> TokenrailStack.await(v.close()));
    stack.close();
  }

  @Test
  void aConversationOfEachGroupStreamsAndResumesOnTheOtherGatewayOfItsGroupAfterItsGatewayStops() {
    streamThenResumeAfterGatewayStops(conversationIn(GROUP_A, "resume-a"), a1, a0);
    streamThenResumeAfterGatewayStops(conversationIn(GROUP_B, "resume-b"), b1, b0);
  }

  private void streamThenResumeAfterGatewayStops(String conversation, GatewayVerticle first, GatewayVerticle second) {
    List<SseClient.Event> seen = new ArrayList<>();
    String messageId;
    try (SseClient client = SseClient.connect(url(first, "/api/conversations/" + conversation + "/events"))) {
      messageId = Http.postMessage(url(first, ""), conversation, "#tokens=200 groups resume");
      client.awaitEvent(e -> e.type().equals("token") && e.data().getLong("seq") >= 30, PATIENCE);
      // The gateway goes away mid-answer (its Vert.x closes): the client's stream ends with it.
      Vertx itsVertx = vertxOf(first);
      vertxes.remove(itsVertx);
      TokenrailStack.await(itsVertx.close());
      seen.addAll(client.events());
    }
    String lastEventId = seen.get(seen.size() - 1).id();
    try (SseClient resumed = SseClient.connect(url(second, "/api/conversations/" + conversation + "/events"),
        Map.of("Last-Event-ID", lastEventId))) {
      seen.addAll(resumed.awaitTerminal(PATIENCE));
    }
    assertThat(seen).extracting(SseClient.Event::id).doesNotHaveDuplicates();
    assertCompleteAnswer(seen, conversation, messageId, TokenrailStack.PARTITIONS);
    assertThat(Answers.tokenCount(seen, messageId)).isEqualTo(200);
  }

  @Test
  void aRequestSentToTheOtherGroupIsRedirectedWithItsPathAndQueryAndCompletes() throws Exception {
    String conversation = conversationIn(GROUP_B, "redirected");
    double redirectedBefore = redirects(a0, "307");
    // The raw answer: 307 to group B's base URL, path and query kept, the partition named.
    HttpResponse<String> raw = NOT_FOLLOWING.send(HttpRequest.newBuilder(URI.create(
            url(a0, "/api/conversations/" + conversation + "/events?from=start"))).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(raw.statusCode()).isEqualTo(307);
    assertThat(redirects(a0, "307")).as("the router's miss, counted").isEqualTo(redirectedBefore + 1);
    assertThat(redirects(a0, "421")).as("a gateway with routes answers no 421").isZero();
    assertThat(raw.headers().firstValue("Location")).contains(url(b0, "/api/conversations/" + conversation + "/events?from=start"));
    assertThat(raw.headers().firstValue("Tokenrail-Partition"))
        .contains(Integer.toString(Partitioning.partitionOf(conversation, TokenrailStack.PARTITIONS)));

    // A client that follows redirects, as EventSource and fetch do: the stream through group A's gateway, the message
    // POSTed to group A's gateway (307 keeps the method and the body), the whole answer.
    HttpResponse<InputStream> stream = FOLLOWING.send(HttpRequest.newBuilder(URI.create(
            url(a0, "/api/conversations/" + conversation + "/events"))).header("Accept", "text/event-stream").GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.uri().getPort()).isEqualTo(b0.actualPort());
    try (SseClient client = SseClient.reading(stream.body())) {
      HttpResponse<String> posted = FOLLOWING.send(HttpRequest.newBuilder(URI.create(
              url(a0, "/api/conversations/" + conversation + "/messages")))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("text", "#tokens=40 redirected").encode())).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(posted.statusCode()).isEqualTo(202);
      String messageId = new JsonObject(posted.body()).getString("messageId");
      List<SseClient.Event> events = client.awaitTerminal(PATIENCE);
      assertCompleteAnswer(events, conversation, messageId, TokenrailStack.PARTITIONS);
      assertThat(Answers.tokenCount(events, messageId)).isEqualTo(40);
    }
  }

  @Test
  void aConversationNamedInTheBodyIsRedirectedToo() throws Exception {
    String chat = conversationIn(GROUP_A, "use-chat");
    String body = new JsonObject().put("id", chat).put("messages", new io.vertx.core.json.JsonArray().add(new JsonObject()
        .put("id", "m1").put("role", "user").put("parts", new io.vertx.core.json.JsonArray()
            .add(new JsonObject().put("type", "text").put("text", "#tokens=12 hello from the body"))))).encode();
    HttpResponse<String> raw = NOT_FOLLOWING.send(post(url(b0, "/api/chat"), body), HttpResponse.BodyHandlers.ofString());
    assertThat(raw.statusCode()).isEqualTo(307);
    assertThat(raw.headers().firstValue("Location")).contains(url(a0, "/api/chat"));

    HttpResponse<String> followed = FOLLOWING.send(post(url(b0, "/api/chat"), body), HttpResponse.BodyHandlers.ofString());
    assertThat(followed.statusCode()).isEqualTo(200);
    assertThat(followed.uri().getPort()).isEqualTo(a0.actualPort());
    assertThat(followed.body()).contains("\"type\":\"finish\"");
    assertThat(Pattern.compile("\"type\":\"text-delta\"").matcher(followed.body()).results().count()).isEqualTo(12);
  }

  @Test
  void aGatewayWithoutARouteToTheOwningGroupAnswers421() throws Exception {
    String conversation = conversationIn(GROUP_B, "no-route");
    double unroutableBefore = redirects(unrouted, "421");
    HttpResponse<String> response = NOT_FOLLOWING.send(HttpRequest.newBuilder(URI.create(
        url(unrouted, "/api/conversations/" + conversation))).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(421);
    assertThat(new JsonObject(response.body()).getJsonObject("error").getString("code")).isEqualTo("wrong_gateway_group");
    // Counted apart from the router's misses: a 421 means the gateways' routes need fixing.
    assertThat(redirects(unrouted, "421")).isEqualTo(unroutableBefore + 1);
    assertThat(redirects(unrouted, "307")).isZero();
  }

  @Test
  void aStatelessCompletionGetsAConversationOfTheGroupItWasSentTo() throws Exception {
    for (GatewayVerticle gateway : List.of(a0, b0)) {
      PartitionRanges owned = gateway == a0 ? GROUP_A : GROUP_B;
      for (int i = 0; i < 5; i++) { // ids are random: several, so a gateway that ignored its group would be caught
        HttpResponse<String> response = NOT_FOLLOWING.send(post(url(gateway, "/v1/chat/completions"),
            new JsonObject().put("model", "demo").put("messages", new io.vertx.core.json.JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "#tokens=3 stateless"))).encode()),
            HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        String conversation = response.headers().firstValue("X-Conversation-Id").orElseThrow();
        assertThat(owned.contains(Partitioning.partitionOf(conversation, TokenrailStack.PARTITIONS))).isTrue();
        JsonObject choice = new JsonObject(response.body()).getJsonArray("choices").getJsonObject(0);
        assertThat(choice.getString("finish_reason")).isEqualTo("stop");
        assertThat(choice.getJsonObject("message").getString("content")).isNotBlank();
      }
    }
  }

  @Test
  void eachGatewayFetchesOnlyItsGroupsPartitions() throws Exception {
    String inA = conversationIn(GROUP_A, "metrics-a");
    String inB = conversationIn(GROUP_B, "metrics-b");
    for (String conversation : List.of(inA, inB)) {
      GatewayVerticle gateway = conversation.equals(inA) ? a0 : b0;
      try (SseClient client = SseClient.connect(url(gateway, "/api/conversations/" + conversation + "/events"))) {
        String messageId = Http.postMessage(url(gateway, ""), conversation, "#tokens=10 metrics");
        assertCompleteAnswer(client.awaitTerminal(PATIENCE), conversation, messageId, TokenrailStack.PARTITIONS);
      }
    }
    int partitionA = Partitioning.partitionOf(inA, TokenrailStack.PARTITIONS);
    int partitionB = Partitioning.partitionOf(inB, TokenrailStack.PARTITIONS);
    // Both answers went through the topic; each group's gateway read its own and nothing of the other's partitions.
    // (Records, not events: tokens that piled up in the worker share one.)
    Map<String, Long> stored = TopicContents.readAll(stack.kafka().bootstrapServers(), stack.kafka().topics().events())
        .stream().collect(java.util.stream.Collectors.groupingBy(r -> r.key(), java.util.stream.Collectors.counting()));
    assertThat(stored.get(inA)).as("start, a record of tokens or more, done").isGreaterThanOrEqualTo(3);
    assertThat(stored.get(inB)).isGreaterThanOrEqualTo(3);
    assertThat(eventsRead(a0, partitionA)).isGreaterThanOrEqualTo(stored.get(inA));
    assertThat(eventsRead(b0, partitionB)).isGreaterThanOrEqualTo(stored.get(inB));
    for (int p : GROUP_B.toArray()) {
      assertThat(eventsRead(a0, p)).as("group A's gateway, partition %d", p).isZero();
    }
    for (int p : GROUP_A.toArray()) {
      assertThat(eventsRead(b0, p)).as("group B's gateway, partition %d", p).isZero();
    }
    assertThat(new JsonObject(Http.get(url(a0, "/ready")).body()).getString("partitions")).isEqualTo("0-2");
    // The compacted topics' indexes are split the same way: group A's and group B's hold between them what a
    // gateway reading everything holds, each some of it.
    for (String index : List.of("starts", "transcripts")) {
      await().atMost(PATIENCE).untilAsserted(() -> {
        double all = indexSize(everything, index);
        double heldByA = indexSize(a0, index);
        double heldByB = indexSize(b0, index);
        assertThat(heldByA).as("%s index of group A", index).isPositive();
        assertThat(heldByB).as("%s index of group B", index).isPositive();
        assertThat(heldByA + heldByB).as("%s indexes of A and B against a gateway reading all", index).isEqualTo(all);
      });
    }
  }

  @Test
  void withAuthenticationTheSubjectIsPartOfTheKeyThatPicksTheGroup() throws Exception {
    String subject = "group-subject";
    String token = tokens.forSubject(subject);
    // A conversation whose id alone would be group A's, but whose key (the subject's) is group B's.
    String conversation = null;
    for (int i = 0; conversation == null; i++) {
      String id = "scoped-" + i;
      if (GROUP_A.contains(Partitioning.partitionOf(id, TokenrailStack.PARTITIONS))
          && GROUP_B.contains(Partitioning.partitionOf(dev.tokenrail.protocol.ConversationIds.kafkaKey(subject, id),
          TokenrailStack.PARTITIONS))) {
        conversation = id;
      }
    }
    HttpResponse<String> raw = NOT_FOLLOWING.send(HttpRequest.newBuilder(URI.create(
        url(authA, "/api/conversations/" + conversation))).header("Authorization", "Bearer " + token).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(raw.statusCode()).isEqualTo(307);
    assertThat(raw.headers().firstValue("Location")).contains(url(authB, "/api/conversations/" + conversation));
    HttpResponse<InputStream> stream = FOLLOWING.send(HttpRequest.newBuilder(URI.create(
            url(authA, "/api/conversations/" + conversation + "/events"))).header("Authorization", "Bearer " + token)
        .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(stream.statusCode()).isEqualTo(200);
    try (SseClient client = SseClient.reading(stream.body())) {
      HttpResponse<String> posted = FOLLOWING.send(HttpRequest.newBuilder(URI.create(
              url(authA, "/api/conversations/" + conversation + "/messages"))).header("Authorization", "Bearer " + token)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("text", "#tokens=9 scoped").encode())).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(posted.statusCode()).isEqualTo(202);
      assertThat(posted.uri().getPort()).isEqualTo(authB.actualPort());
      String messageId = new JsonObject(posted.body()).getString("messageId");
      List<SseClient.Event> events = client.awaitTerminal(PATIENCE);
      assertThat(Answers.tokenCount(events, messageId)).isEqualTo(9);
      assertThat(events.get(events.size() - 1).type()).isEqualTo("done");
    }
    // A stateless completion's new conversation is the group's under the caller's key, not under the bare id.
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> response = NOT_FOLLOWING.send(HttpRequest.newBuilder(URI.create(url(authA, "/v1/chat/completions")))
          .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("model", "demo").put("messages",
              new io.vertx.core.json.JsonArray().add(new JsonObject().put("role", "user").put("content", "#tokens=2 hi")))
              .encode())).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      String id = response.headers().firstValue("X-Conversation-Id").orElseThrow();
      assertThat(GROUP_A.contains(Partitioning.partitionOf(dev.tokenrail.protocol.ConversationIds.kafkaKey(subject, id),
          TokenrailStack.PARTITIONS))).isTrue();
    }
  }

  @Test
  void theOpenAiRoutesRedirectAConversationOfTheOtherGroupToo() throws Exception {
    String conversation = conversationIn(GROUP_B, "openai");
    String responseId = "resp_" + dev.tokenrail.protocol.ConversationIds.newMessageId().replace("-", "") + conversation;
    String completion = new JsonObject().put("model", "demo").put("conversation_id", conversation).put("messages",
        new io.vertx.core.json.JsonArray().add(new JsonObject().put("role", "user").put("content", "hi"))).encode();
    String response = new JsonObject().put("model", "demo").put("input", "hi").put("previous_response_id", responseId).encode();
    List<HttpRequest> requests = List.of(
        post(url(a0, "/v1/chat/completions"), completion),
        post(url(a0, "/v1/responses"), response),
        HttpRequest.newBuilder(URI.create(url(a0, "/v1/responses/" + responseId + "?stream=true"))).GET().build(),
        HttpRequest.newBuilder(URI.create(url(a0, "/v1/responses/" + responseId + "/input_items"))).GET().build(),
        HttpRequest.newBuilder(URI.create(url(a0, "/v1/responses/" + responseId))).DELETE().build());
    for (HttpRequest request : requests) {
      HttpResponse<String> answer = NOT_FOLLOWING.send(request, HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).as("%s %s", request.method(), request.uri()).isEqualTo(307);
      String pathAndQuery = request.uri().getRawPath() + (request.uri().getRawQuery() == null ? "" : "?" + request.uri().getRawQuery());
      assertThat(answer.headers().firstValue("Location")).contains(url(b0, pathAndQuery));
    }
    // Followed, the named completion is answered by group B.
    HttpResponse<String> followed = FOLLOWING.send(post(url(a0, "/v1/chat/completions"), completion),
        HttpResponse.BodyHandlers.ofString());
    assertThat(followed.statusCode()).isEqualTo(200);
    assertThat(followed.uri().getPort()).isEqualTo(b0.actualPort());
    assertThat(new JsonObject(followed.body()).getJsonArray("choices").getJsonObject(0).getString("finish_reason"))
        .isEqualTo("stop");
  }

  /** {@code tokenrail_index_conversations} of one gateway's index ({@code starts} or {@code transcripts}). */
  private static double indexSize(GatewayVerticle gateway, String index) {
    return metricValue(gateway, "tokenrail_index_conversations", "index", index);
  }

  /** {@code tokenrail_gateway_group_redirects_total} of one gateway, answered with {@code status}. */
  private static double redirects(GatewayVerticle gateway, String status) {
    return metricValue(gateway, "tokenrail_gateway_group_redirects_total", "status", status);
  }

  /** {@code tokenrail_events_read_total} of one gateway and partition, from its {@code /metrics}. */
  private static double eventsRead(GatewayVerticle gateway, int partition) {
    return metricValue(gateway, "tokenrail_events_read_total", "partition", Integer.toString(partition));
  }

  /** The value of {@code name} with this gateway's tag and {@code label="value"}, from its {@code /metrics}. */
  private static double metricValue(GatewayVerticle gateway, String name, String label, String value) {
    String metrics = Http.get(url(gateway, "/metrics")).body();
    Matcher m = Pattern.compile(Pattern.quote(name) + "\\{gateway=\"" + Pattern.quote(gateway.instanceId())
        + "\"," + label + "=\"" + Pattern.quote(value) + "\"} ([0-9.E]+)").matcher(metrics);
    assertThat(m.find()).as("%s{%s=%s} in %s's /metrics", name, label, value, gateway.instanceId()).isTrue();
    return Double.parseDouble(m.group(1));
  }

  /** The first of {@code prefix}-0, -1, ... whose partition (authentication off: the id is the key) the group owns. */
  private static String conversationIn(PartitionRanges group, String prefix) {
    for (int i = 0; ; i++) {
      String id = prefix + "-" + i;
      if (group.contains(Partitioning.partitionOf(id, TokenrailStack.PARTITIONS))) {
        return id;
      }
    }
  }

  private static HttpRequest post(String url, String json) {
    return HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build();
  }

  private static String url(GatewayVerticle gateway, String path) {
    return "http://localhost:" + gateway.actualPort() + path;
  }

  private static GatewayVerticle gateway(GatewayConfig config) {
    Vertx vertx = Vertx.vertx();
    vertxes.add(vertx);
    GatewayVerticle gateway = TokenrailStack.startGateway(vertx, config);
    gateways.put(gateway, vertx);
    return gateway;
  }

  private static Vertx vertxOf(GatewayVerticle gateway) {
    return gateways.get(gateway);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
