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
      this.callTimeout = callTimeout;
      client = opened;
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
    return new StdioClientTransport(ServerParameters.builder(command.get(0)).args(command.subList(1, command.size()))
        .env(settings.env()).build(), McpJsonDefaults.getMapper());
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

  /** The session is gone (the server stopped, or restarted and forgot it): connect again in the background. */
  void broken(Throwable cause) {
    McpAsyncClient c = client;
    client = null;
    if (c != null) {
      c.close();
    }
    problem("stopped answering (" + McpServers.reason(cause) + ")");
  }

  void disconnect() {
    McpAsyncClient c = client;
    client = null;
    tools = Map.of();
    if (c != null) {
      c.closeGracefully().block(McpServers.START_TIMEOUT);
    }
  }
}
