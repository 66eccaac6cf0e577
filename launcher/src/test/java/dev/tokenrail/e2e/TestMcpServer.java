package dev.tokenrail.e2e;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.valves.ValveBase;

/**
 * A Model Context Protocol server for the tests, made with the MCP Java SDK's server: over Streamable HTTP
 * in an embedded Tomcat on the loopback, or over stdio ({@link #main}) as a process the worker starts. Its
 * tools: {@code forecast} (a city's weather), {@code fail} (an error result), {@code slow} (answers after
 * 5 s), {@code secret} (for deny lists), {@code echo} and {@code env} (an environment variable of its process). Records the {@code Authorization} header of every HTTP request.
 */
final class TestMcpServer implements AutoCloseable {

  private final Tomcat tomcat = new Tomcat();
  private final McpSyncServer server;
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private final List<Map<String, Object>> forecasts = new CopyOnWriteArrayList<>();
  private boolean closed;
  /** Released when the server stops: the slow tool answers only then, long after any tool timeout. */
  private final java.util.concurrent.CountDownLatch stopping = new java.util.concurrent.CountDownLatch(1);

  TestMcpServer() {
    HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
        .jsonMapper(McpJsonDefaults.getMapper()).mcpEndpoint("/mcp").build();
    server = McpServer.sync(transport).serverInfo("tokenrail-test-mcp", "1")
        .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
        .tools(tools(forecasts, stopping)).build();
    tomcat.setPort(0);
    tomcat.setBaseDir(System.getProperty("java.io.tmpdir") + "/tokenrail-mcp-" + System.nanoTime());
    tomcat.getConnector();
    Context context = tomcat.addContext("", null);
    Tomcat.addServlet(context, "mcp", transport).setAsyncSupported(true);
    context.addServletMappingDecoded("/mcp", "mcp");
    tomcat.getHost().getPipeline().addValve(new ValveBase(true) {
      @Override
      public void invoke(Request request, Response response) throws java.io.IOException, jakarta.servlet.ServletException {
        authorizations.add(String.valueOf(request.getHeader("Authorization")));
        getNext().invoke(request, response);
      }
    });
    try {
      tomcat.start();
    } catch (LifecycleException e) {
      throw new IllegalStateException(e);
    }
  }

  String url() {
    return "http://localhost:" + tomcat.getConnector().getLocalPort() + "/mcp";
  }

  List<String> authorizations() {
    return List.copyOf(authorizations);
  }

  /** The arguments of every {@code forecast} call, in order. */
  List<Map<String, Object>> forecasts() {
    return List.copyOf(forecasts);
  }

  /** Stops answering: the port closes. Once is enough. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopping.countDown(); // a slow call still held answers now, so the server can close
    try {
      server.closeGracefully();
      tomcat.stop();
      tomcat.destroy();
    } catch (LifecycleException e) {
      throw new IllegalStateException(e);
    }
  }

  /** @param stopping released when the server stops; the {@code slow} tool holds its call until then */
  static List<McpServerFeatures.SyncToolSpecification> tools(List<Map<String, Object>> forecasts,
                                                             java.util.concurrent.CountDownLatch stopping) {
    Map<String, Object> city = Map.of("type", "object", "properties", Map.of("city", Map.of("type", "string",
        "description", "The city")), "required", List.of("city"));
    Map<String, Object> none = Map.of("type", "object", "properties", Map.of());
    return List.of(
        tool("forecast", "Tomorrow's weather for a city", city, arguments -> {
          forecasts.add(arguments);
          return McpSchema.CallToolResult.builder().addTextContent("Sunny in " + arguments.get("city") + ", 21 C").build();
        }),
        tool("fail", "Always fails", none, arguments ->
            McpSchema.CallToolResult.builder().addTextContent("No data for that city.").isError(true).build()),
        tool("slow", "Answers only when the server stops", none, arguments -> {
          try {
            stopping.await(); // the server's own slowness, which the worker must not wait out
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return McpSchema.CallToolResult.builder().addTextContent("late").build();
        }),
        tool("secret", "Never offered: the worker denies it", none, arguments ->
            McpSchema.CallToolResult.builder().addTextContent("leaked").build()),
        tool("echo", "Says the text back", Map.of("type", "object", "properties", Map.of("text", Map.of("type", "string"))),
            arguments -> McpSchema.CallToolResult.builder().addTextContent(String.valueOf(arguments.get("text"))).build()),
        tool("env", "An environment variable of the server's process", Map.of("type", "object", "properties",
                Map.of("name", Map.of("type", "string"))),
            arguments -> McpSchema.CallToolResult.builder()
                .addTextContent(String.valueOf(System.getenv(String.valueOf(arguments.get("name"))))).build()));
  }

  private static McpServerFeatures.SyncToolSpecification tool(String name, String description, Map<String, Object> schema,
      java.util.function.Function<Map<String, Object>, McpSchema.CallToolResult> run) {
    return new McpServerFeatures.SyncToolSpecification(McpSchema.Tool.builder().name(name).description(description)
        .inputSchema(schema).build(), (exchange, request) -> run.apply(request.arguments() == null ? Map.of() : request.arguments()));
  }

  /** The same tools over stdio: a worker configured with {@code command} starts this as its MCP server. */
  public static void main(String[] args) throws InterruptedException {
    java.io.PrintStream protocol = System.out;
    System.setOut(System.err); // stdout carries the protocol: log lines (logback's console) go to stderr
    McpServer.sync(new StdioServerTransportProvider(McpJsonDefaults.getMapper(), System.in, protocol))
        .serverInfo("tokenrail-test-stdio", "1")
        .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
        .tools(tools(new CopyOnWriteArrayList<>(), new java.util.concurrent.CountDownLatch(1))).build(); // stops with the process
    Thread.currentThread().join(); // the transport's threads serve stdin until the worker closes it
  }
}
