package dev.tokenrail.worker.tools;

import dev.langchain4j.agent.tool.ToolSpecification;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * A tool of an MCP server, as the model knows it ({@code <server>__<tool>}), run through the server's client on
 * the tool pool. Every way a call fails is a {@link ToolException}, which the model reads as an error result.
 */
record McpTool(McpConnection server, String remoteName, ToolSpecification specification) implements Tool {

  @Override
  public String execute(JsonObject arguments) throws ToolException {
    McpAsyncClient client = server.client;
    String serverName = server.settings.name();
    if (client == null) {
      throw new ToolException("The MCP server '" + serverName + "' is not reachable right now.");
    }
    McpSchema.CallToolResult result;
    try {
      result = client.callTool(new McpSchema.CallToolRequest(remoteName, arguments.getMap()))
          .timeout(server.callTimeout).block();
    } catch (McpError e) { // the server answered, with an error: the session is fine
      throw new ToolException("The MCP server '" + serverName + "' answered with an error: " + McpServers.reason(e));
    } catch (RuntimeException e) {
      if (isTimeout(e)) {
        throw new ToolException("The MCP server '" + serverName + "' did not answer within "
            + server.callTimeout.toMillis() + " ms.");
      }
      server.broken(client, e);
      throw new ToolException("The MCP server '" + serverName + "' did not answer: " + McpServers.reason(e));
    }
    String text = textOf(result);
    if (Boolean.TRUE.equals(result.isError())) {
      throw new ToolException(text.isEmpty() ? "The tool reported an error." : text);
    }
    return text;
  }

  private static boolean isTimeout(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof TimeoutException || t instanceof java.net.http.HttpTimeoutException) {
        return true;
      }
    }
    return false;
  }

  /** The result as the model reads it: text content as it is, anything else (and structured content) as JSON. */
  private static String textOf(McpSchema.CallToolResult result) {
    List<String> parts = new ArrayList<>();
    for (McpSchema.Content c : result.content() == null ? List.<McpSchema.Content>of() : result.content()) {
      if (c instanceof McpSchema.TextContent t) {
        parts.add(t.text());
      } else {
        try {
          parts.add(McpJsonDefaults.getMapper().writeValueAsString(c));
        } catch (java.io.IOException e) {
          parts.add("[" + c.type() + "]");
        }
      }
    }
    if (parts.isEmpty() && result.structuredContent() != null) {
      try {
        parts.add(McpJsonDefaults.getMapper().writeValueAsString(result.structuredContent()));
      } catch (java.io.IOException e) {
        parts.add(String.valueOf(result.structuredContent()));
      }
    }
    return parts.stream().collect(Collectors.joining("\n"));
  }
}
