package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrail.runtime.Telemetry;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.worker.ChatSettings;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.model.ModelSettings;
import dev.tokenrail.worker.tools.McpServerSettings;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tools of Model Context Protocol servers, offered beside the worker's own: an MCP server made with the MCP
 * Java SDK, on the loopback (Streamable HTTP, with a bearer token from the environment) and as a process the
 * worker starts (stdio). The demo model calls a tool when a message reads {@code call NAME {json}}. Every way a
 * server can let a call down — an error result, too slow, stopped mid-conversation — is an error result the
 * model reads, and the answer goes on.
 */
@ExtendWith(SharedKafka.class)
class McpToolsTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final String TOKEN = "mcp-token-" + UUID.randomUUID();
  private static TestMcpServer mcp;
  private static TokenrailStack stack;

  @BeforeAll
  static void start() {
    mcp = new TestMcpServer();
    String servers = new JsonObject()
        .put("weather", new JsonObject().put("url", mcp.url())
            .put("headers", new JsonObject().put("Authorization", "Bearer ${MCP_TEST_TOKEN}"))
            .put("deny", new JsonArray().add("secret")))
        .put("local", new JsonObject().put("command", javaExecutable()).put("args", new JsonArray()
            .add("-cp").add(System.getProperty("java.class.path")).add(TestMcpServer.class.getName()))
            .put("env", new JsonObject().put("GREETING", "${MCP_TEST_GREETING}"))
            .put("allow", new JsonArray().add("echo").add("env")))
        .encode();
    List<McpServerSettings> settings = McpServerSettings.parse(servers,
        name -> name.equals("MCP_TEST_TOKEN") ? Optional.of(TOKEN)
            : name.equals("MCP_TEST_GREETING") ? Optional.of("hello from the config") : Optional.empty());
    LOGS.start();
    ROOT.addAppender(LOGS);
    // The demo model, quick; a tool call may take 2 s.
    stack = TokenrailStack.start(kafka -> WorkerConfig.of(kafka, ModelSettings.demo(500, 0), 1_000)
        .withDrainTimeout(Duration.ZERO)
        .withChat(new ChatSettings(ChatSettings.DEFAULT.memory(), ChatSettings.DEFAULT.tools(), 5, Duration.ofSeconds(2))
            .withMcpServers(settings)), 1);
    // The servers connect in the background; the tests start once both offer their tools.
    await().atMost(PATIENCE).until(() -> toolsOffered("weather") == 5 && toolsOffered("local") == 2);
  }

  @AfterAll
  static void stop() {
    ROOT.detachAppender(LOGS);
    stack.close();
    mcp.close();
  }

  /** What the worker logged while this class ran: the MCP server's secret must be in none of it. */
  private static final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> LOGS =
      new ch.qos.logback.core.read.ListAppender<>();
  private static final ch.qos.logback.classic.Logger ROOT =
      (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  @Test
  void theModelCallsAnMcpServersToolAndReadsItsResult() {
    String conversation = conversation();
    try (SseClient events = SseClient.connect(eventsUrl(conversation))) {
      String messageId = Http.postMessage(stack.baseUrl(), conversation, "call weather__forecast {\"city\": \"Oslo\"}");
      List<SseClient.Event> answer = events.awaitTerminal(PATIENCE);
      String text = assertCompleteAnswer(answer, conversation, messageId, TokenrailStack.PARTITIONS);
      SseClient.Event call = only(answer, "tool_call");
      assertThat(call.data().getString("name")).isEqualTo("weather__forecast");
      assertThat(call.data().containsKey("client")).as("the worker runs it, not the client").isFalse();
      SseClient.Event result = only(answer, "tool_result");
      assertThat(result.data().getBoolean("isError")).isFalse();
      assertThat(result.data().getString("result")).isEqualTo("Sunny in Oslo, 21 C");
      assertThat(text).isEqualTo("The weather__forecast tool answered: Sunny in Oslo, 21 C");
    }
    assertThat(mcp.forecasts()).contains(Map.of("city", "Oslo"));
    assertThat(mcp.authorizations()).as("the header, its secret from the environment").contains("Bearer " + TOKEN);
    assertThat(LOGS.list.stream().map(e -> e.getFormattedMessage() + " " + e.getThrowableProxy()).toList())
        .as("the secret is in no log line").noneMatch(line -> line.contains(TOKEN))
        .anyMatch(line -> line.contains("MCP server 'weather'") && line.contains("offers"));
    JsonArray transcript = Http.get(stack.baseUrl() + "/api/conversations/" + conversation).json().getJsonArray("messages");
    assertThat(transcript.getJsonObject(1).getJsonArray("toolCalls").getJsonObject(0).getString("result"))
        .isEqualTo("Sunny in Oslo, 21 C");
  }

  @Test
  void aServerStartedOverStdioOffersItsAllowedToolsOnly() {
    assertThat(answerTo("call local__echo {\"text\": \"over stdio\"}")).isEqualTo("The local__echo tool answered: over stdio");
    // Its process has its own env, and of the worker's only what a program needs to run: no provider keys.
    assertThat(answerTo("call local__env {\"name\": \"GREETING\"}")).endsWith("answered: hello from the config");
    String workersOwn = System.getenv().keySet().stream()
        .filter(n -> !List.of("PATH", "HOME", "LANG", "TMPDIR", "JAVA_HOME").contains(n) && n.matches("[A-Z_]+"))
        .findFirst().orElseThrow(() -> new AssertionError("the test JVM has no environment variable to look for"));
    assertThat(answerTo("call local__env {\"name\": \"" + workersOwn + "\"}")).as(workersOwn).endsWith("answered: null");
    // forecast is not on the local server's allow list, secret is on the weather server's deny list: neither is offered.
    for (String notOffered : List.of("call local__forecast {\"city\": \"Oslo\"}", "call weather__secret {}")) {
      String conversation = conversation();
      try (SseClient events = SseClient.connect(eventsUrl(conversation))) {
        Http.postMessage(stack.baseUrl(), conversation, notOffered);
        assertThat(events.awaitTerminal(PATIENCE)).noneMatch(e -> e.type().equals("tool_call"));
      }
    }
  }

  @Test
  void anErrorResultAndASlowServerAreErrorResultsAndTheAnswerGoesOn() {
    assertThat(answerTo("call weather__fail {}")).isEqualTo("The weather__fail tool could not help: No data for that city.");
    assertThat(answerTo("call weather__slow {}")).isEqualTo("The weather__slow tool could not help: "
        + "The MCP server 'weather' did not answer within 2000 ms.");
  }

  /** The server goes away between two messages of one conversation: the second call is an error result. */
  @Test
  void aServerStoppedMidConversationIsAnErrorResultAndTheAnswerGoesOn() {
    TestMcpServer other = new TestMcpServer();
    String servers = new JsonObject().put("brief", new JsonObject().put("url", other.url())).encode();
    try (TokenrailStack own = TokenrailStack.start(kafka -> WorkerConfig.of(kafka, ModelSettings.demo(500, 0), 1_000)
        .withDrainTimeout(Duration.ZERO)
        .withChat(ChatSettings.DEFAULT.withMcpServers(McpServerSettings.parse(servers, n -> Optional.empty()))), 1)) {
      await().atMost(PATIENCE).until(() -> toolsOffered("brief") == 6);
      String conversation = conversation();
      try (SseClient events = SseClient.connect(own.baseUrl() + "/api/conversations/" + conversation + "/events")) {
        String first = Http.postMessage(own.baseUrl(), conversation, "call brief__forecast {\"city\": \"Bergen\"}");
        List<SseClient.Event> answered = events.awaitTerminal(PATIENCE);
        assertCompleteAnswer(answered, conversation, first, TokenrailStack.PARTITIONS);
        assertThat(only(answered, "tool_result").data().getBoolean("isError")).isFalse();

        other.close(); // mid-conversation, the server stops
        String second = Http.postMessage(own.baseUrl(), conversation, "call brief__forecast {\"city\": \"Tromsø\"}");
        List<SseClient.Event> all = events.awaitEvent(e -> e.type().equals("done")
            && second.equals(e.data().getString("messageId")), PATIENCE);
        List<SseClient.Event> answer = all.stream().filter(e -> second.equals(e.data().getString("messageId"))).toList();
        String text = assertCompleteAnswer(answer, conversation, second, TokenrailStack.PARTITIONS);
        SseClient.Event result = only(answer, "tool_result");
        assertThat(result.data().getBoolean("isError")).isTrue();
        assertThat(result.data().getString("result")).startsWith("The MCP server 'brief' did not answer");
        assertThat(text).startsWith("The brief__forecast tool could not help: The MCP server 'brief' did not answer");
      }
    } finally {
      other.close();
    }
  }

  private static String answerTo(String message) {
    String conversation = conversation();
    try (SseClient events = SseClient.connect(eventsUrl(conversation))) {
      String messageId = Http.postMessage(stack.baseUrl(), conversation, message);
      return assertCompleteAnswer(events.awaitTerminal(PATIENCE), conversation, messageId, TokenrailStack.PARTITIONS);
    }
  }

  private static SseClient.Event only(List<SseClient.Event> events, String type) {
    return events.stream().filter(e -> e.type().equals(type)).reduce((a, b) -> {
      throw new AssertionError("more than one " + type + " in " + events);
    }).orElseThrow(() -> new AssertionError("no " + type + " in " + events));
  }

  /** The newest worker's gauge for the server: the one this class deployed last. */
  private static double toolsOffered(String server) {
    return Telemetry.registry().find("tokenrail.mcp.tools").tag("server", server).gauges().stream()
        .mapToDouble(Gauge::value).max().orElse(0);
  }

  private static String javaExecutable() {
    return java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String conversation() {
    return "mcp-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static String eventsUrl(String conversation) {
    return stack.baseUrl() + "/api/conversations/" + conversation + "/events";
  }
}
