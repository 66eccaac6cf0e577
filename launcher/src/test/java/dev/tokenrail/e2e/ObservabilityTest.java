package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tokenrail.protocol.TraceContext;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * What operators see: a client's {@code traceparent} follows its message through Kafka to every event
 * and into the logs of both sides, and {@code GET /metrics} counts what was relayed.
 */
@ExtendWith(SharedKafka.class)
class ObservabilityTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static TokenrailStack stack;

  @BeforeAll
  static void start() {
    stack = TokenrailStack.startWithRecordPerToken(ModelSettings.demo(500, 10));
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @Test
  void theClientsTraceIdFollowsTheMessageThroughKafkaToEveryEventAndIntoTheLogs() {
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger("dev.tokenrail");
    logs.start();
    root.addAppender(logs);
    String messageId;
    try (SseClient client = SseClient.connect(stack.baseUrl() + "/api/conversations/traced/events")) {
      HttpRequest post = HttpRequest.newBuilder(URI.create(stack.baseUrl() + "/api/conversations/traced/messages"))
          .header("Content-Type", "application/json")
          .header("traceparent", "00-" + TRACE_ID + "-00f067aa0ba902b7-01")
          .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("text", "#tokens=7 trace me").encode())).build();
      Http.Response accepted = Http.send(post);
      assertThat(accepted.status()).isEqualTo(202);
      messageId = accepted.json().getString("messageId");
      client.awaitTerminal(PATIENCE);
    } finally {
      root.detachAppender(logs);
    }

    List<String> eventTraces = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : eventsOf("traced")) {
      Header h = r.headers().lastHeader(TraceContext.HEADER);
      assertThat(h).as("traceparent of the event at offset %d", r.offset()).isNotNull();
      eventTraces.add(TraceContext.parse(new String(h.value(), StandardCharsets.UTF_8)).orElseThrow().traceId());
    }
    assertThat(eventTraces).hasSize(10).containsOnly(TRACE_ID); // start, 7 tokens, usage, done

    List<String> lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.contains(messageId)).toList();
    assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("Accepted").contains("traceId=" + TRACE_ID));
    assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("Generation ended").contains("traceId=" + TRACE_ID)
        .contains("conversationId=traced"));
  }

  @Test
  void metricsCountRelayedTokensLatencyConnectionsAndKafkaClients() {
    Map<String, Double> before = scrape();
    try (SseClient client = SseClient.connect(stack.baseUrl() + "/api/conversations/metered/events")) {
      Http.postMessage(stack.baseUrl(), "metered", "#tokens=25 count me");
      client.awaitTerminal(PATIENCE);
      Map<String, Double> during = scrape();
      assertThat(sum(during, "tokenrail_sse_connections")).isGreaterThanOrEqualTo(1);
    }
    Map<String, Double> after = scrape();
    assertThat(sum(after, "tokenrail_tokens_relayed_total") - sum(before, "tokenrail_tokens_relayed_total"))
        .isEqualTo(25);
    assertThat(sum(after, "tokenrail_token_latency_seconds_count") - sum(before, "tokenrail_token_latency_seconds_count"))
        .isEqualTo(25);
    assertThat(sum(after, "tokenrail_tokens_published_total") - sum(before, "tokenrail_tokens_published_total"))
        .isEqualTo(25);
    assertThat(sum(after, "tokenrail_generations_total{outcome=\"done\"")
        - sum(before, "tokenrail_generations_total{outcome=\"done\"")).isEqualTo(1);
    assertThat(sum(after, "tokenrail_time_to_first_token_seconds_count")
        - sum(before, "tokenrail_time_to_first_token_seconds_count")).isEqualTo(1);
    assertThat(after.keySet()).anyMatch(k -> k.startsWith("tokenrail_events_reader_lag"));
    assertThat(after.keySet()).anyMatch(k -> k.startsWith("kafka_producer_"));
    assertThat(after.keySet()).anyMatch(k -> k.startsWith("kafka_consumer_"));
  }

  /** The gateway's Prometheus text as series → value. */
  private static Map<String, Double> scrape() {
    Http.Response r = Http.get(stack.baseUrl() + "/metrics");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.contentType()).startsWith("text/plain");
    Map<String, Double> series = new HashMap<>();
    Matcher m = Pattern.compile("(?m)^([a-zA-Z_:][^ ]*) ([-+0-9.eE]+|NaN)$").matcher(r.body());
    while (m.find()) {
      series.put(m.group(1), m.group(2).equals("NaN") ? Double.NaN : Double.parseDouble(m.group(2)));
    }
    return series;
  }

  /** The sum of every series whose name (with labels) starts with {@code prefix}. */
  private static double sum(Map<String, Double> series, String prefix) {
    return series.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToDouble(Map.Entry::getValue).sum();
  }

  private static List<ConsumerRecord<String, byte[]>> eventsOf(String conversation) {
    return TopicContents.readAll(stack.kafka().bootstrapServers(), stack.kafka().topics().events()).stream()
        .filter(r -> conversation.equals(r.key())).toList();
  }
}
