package dev.tokenrail.worker.tools;

import dev.langchain4j.agent.tool.ToolSpecification;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * One MCP server of {@link McpServers}: its client while connected, and the tools it offers as the model knows
 * them. Opening and closing block: they run on the worker's tool pool.
 */
final class McpConnection {

  private static final Logger log = LoggerFactory.getLogger(McpConnection.class);
  private static final int MAX_TOOL_NAME = 64;

  final McpServerSettings settings;
  /** The session, while there is one; calls block on it for at most {@link #callTimeout}. */
  volatile McpAsyncClient client;
  volatile Duration callTimeout = Duration.ofSeconds(10);
  volatile Map<String, McpTool> tools = Map.of();
  volatile boolean connecting;
  private String lastProblem;
  /** Set by {@link #disconnect}: a session that finishes opening afterwards is closed at once. */
  private boolean closed;

  McpConnection(McpServerSettings settings) {
    this.settings = settings;
  }

  /**
   * Starts a session and lists the tools. Blocking: on the tool pool only. Starting may take
   * {@link McpServers#START_TIMEOUT} (a server process may be starting); each call, {@code callTimeout}.
   */
  Void open(Duration callTimeout) {
    Duration start = McpServers.START_TIMEOUT.compareTo(callTimeout) > 0 ? McpServers.START_TIMEOUT : callTimeout;
    McpAsyncClient opened = McpClient.async(transport())
        .requestTimeout(start)
        .initializationTimeout(start)
        .clientInfo(new McpSchema.Implementation("tokenrail", "1"))
        .toolsChangeConsumer(listed -> Mono.fromRunnable(() -> list(listed)))
        .build();
    try {
      opened.initialize().block(start);
      List<McpSchema.Tool> listed = new ArrayList<>();
      String cursor = null;
      do {
        McpSchema.ListToolsResult page = opened.listTools(cursor).block(start);
        listed.addAll(page.tools());
        cursor = page.nextCursor();
      } while (cursor != null && listed.size() < 1_000);
      synchronized (this) {
        if (closed) { // the worker stopped while this session was opening: it must not outlive it
          opened.close();
          return null;
        }
        this.callTimeout = callTimeout;
        client = opened;
      }
      list(listed);
    } catch (RuntimeException e) {
      opened.close();
      throw e;
    }
    return null;
  }

  private McpClientTransport transport() {
    if (settings.url().isPresent()) {
      URI url = settings.url().get();
      String endpoint = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
          + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
      return HttpClientStreamableHttpTransport.builder(url.getScheme() + "://" + url.getRawAuthority())
          .endpoint(endpoint)
          .httpRequestCustomizer((request, method, uri, body, context) -> settings.headers().forEach(request::header))
          .build();
    }
    List<String> command = settings.command();
    return new IsolatedStdioTransport(ServerParameters.builder(command.get(0)).args(command.subList(1, command.size()))
        .env(settings.env()).build());
  }

  /**
   * A server process started with only what it needs of the worker's environment — where programs and its
   * home are — and its own {@code env}: not the worker's provider keys and Kafka credentials (the SDK's
   * transport would pass it the whole environment).
   */
  private static final class IsolatedStdioTransport extends StdioClientTransport {
    private static final List<String> PASSED_ON = List.of("PATH", "HOME", "LANG", "TMPDIR", "JAVA_HOME");

    IsolatedStdioTransport(ServerParameters parameters) {
      super(parameters, McpJsonDefaults.getMapper());
    }

    @Override
    protected ProcessBuilder getProcessBuilder() {
      ProcessBuilder builder = super.getProcessBuilder();
      Map<String, String> environment = builder.environment();
      Map<String, String> kept = new LinkedHashMap<>();
      PASSED_ON.forEach(name -> {
        String value = System.getenv(name);
        if (value != null) {
          kept.put(name, value);
        }
      });
      environment.clear();
      environment.putAll(kept);
      return builder;
    }
  }

  private void list(List<McpSchema.Tool> listed) {
    Map<String, McpTool> offered = new LinkedHashMap<>();
    for (McpSchema.Tool t : listed) {
      String name = settings.toolName(t.name());
      if (!settings.offers(t.name())) {
        continue;
      }
      if (name.length() > MAX_TOOL_NAME) {
        log.warn("MCP server '{}': tool '{}' not offered: '{}' is longer than {} characters", settings.name(), t.name(),
            name, MAX_TOOL_NAME);
        continue;
      }
      String description = t.description() != null ? t.description() : t.title() != null ? t.title() : "";
      ToolSpecification.Builder spec = ToolSpecification.builder().name(name)
          .parameters(ToolSchemas.objectSchema(t.inputSchema() == null ? Map.of("type", "object") : t.inputSchema()));
      if (!description.isEmpty()) {
        spec.description(description);
      }
      offered.put(name, new McpTool(this, t.name(), spec.build()));
    }
    boolean changed = !offered.keySet().equals(tools.keySet());
    tools = Map.copyOf(offered);
    synchronized (this) {
      lastProblem = null;
    }
    if (changed) {
      log.info("MCP server '{}' at {} offers {} tool(s): {}", settings.name(), settings.where(), offered.size(),
          String.join(", ", offered.keySet()));
    }
  }

  /** One log line per new reason, however often it recurs. */
  synchronized void problem(String what) {
    if (!Objects.equals(what, lastProblem)) {
      lastProblem = what;
      log.warn("MCP server '{}' at {} {}; trying again every {} s", settings.name(), settings.where(), what,
          McpServers.RECONNECT.toSeconds());
    }
  }

  /**
   * The session {@code failed} is gone (the server stopped, or restarted and forgot it): connect again in the
   * background. A late failure of an older session leaves a newer one alone. Its tools stay offered meanwhile:
   * a call of one is an error result saying the server is not reachable, which the model reads.
   */
  void broken(McpAsyncClient failed, Throwable cause) {
    synchronized (this) {
      if (client != failed) {
        return;
      }
      client = null;
    }
    failed.close();
    problem("stopped answering (" + McpServers.reason(cause) + ")");
  }

  void disconnect() {
    McpAsyncClient c;
    synchronized (this) {
      closed = true;
      c = client;
      client = null;
      tools = Map.of();
    }
    if (c != null) {
      c.closeGracefully().onErrorComplete().block(McpServers.START_TIMEOUT);
    }
  }
}
