package dev.tokenrail.worker.tools;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import dev.tokenrail.runtime.Redaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tools a worker offers the model — its built-in ones and those of the MCP servers it is configured with —
 * and how a call runs: on a worker thread pool, never on the event loop, within a timeout. Every way a call can go wrong — an unknown tool, arguments that are not a JSON
 * object, a tool that fails or takes too long — becomes an error result the model reads and can recover
 * from; nothing a model asks for can end the generation.
 */
public final class Toolbox {

  private static final Logger log = LoggerFactory.getLogger(Toolbox.class);

  /** What a call came to: the text the model reads, and whether it is an error. */
  public record Outcome(String result, boolean isError) {
  }

  private final Map<String, Tool> tools = new LinkedHashMap<>();
  private final List<ToolSpecification> specifications;
  private final McpServers mcp;
  private final WorkerExecutor executor;
  private final Duration timeout;

  public Toolbox(List<Tool> tools, WorkerExecutor executor, Duration timeout) {
    this(tools, McpServers.none(), executor, timeout);
  }

  /** @param mcp the MCP servers whose tools are offered beside {@code tools} (as they connect) */
  public Toolbox(List<Tool> tools, McpServers mcp, WorkerExecutor executor, Duration timeout) {
    tools.forEach(t -> this.tools.put(t.name(), t));
    this.specifications = tools.stream().map(Tool::specification).toList();
    this.mcp = mcp;
    this.executor = executor;
    this.timeout = timeout;
  }

  /** The tools Tokenrail ships: {@code current_time} and {@code calculator}. */
  public static List<Tool> standardTools() {
    return List.of(new CurrentTimeTool(), new CalculatorTool());
  }

  /** Offered with every model call of every turn: the built-in tools' made once, then the MCP servers' now. */
  public List<ToolSpecification> specifications() {
    List<ToolSpecification> fromServers = mcp.specifications();
    if (fromServers.isEmpty()) {
      return specifications;
    }
    List<ToolSpecification> all = new java.util.ArrayList<>(specifications);
    all.addAll(fromServers);
    return all;
  }

  /** Whether a tool of this name is the worker's: built in, or an MCP server's now. */
  public boolean has(String name) {
    return tools.containsKey(name) || mcp.tool(name).isPresent();
  }

  /** Runs one call; the future always succeeds, with an error outcome when the call failed. */
  public Future<Outcome> run(ToolExecutionRequest call) {
    Tool tool = tools.containsKey(call.name()) ? tools.get(call.name()) : mcp.tool(call.name()).orElse(null);
    if (tool == null) {
      return Future.succeededFuture(new Outcome("There is no tool named '" + call.name() + "'. Available: "
          + specifications().stream().map(ToolSpecification::name).collect(java.util.stream.Collectors.joining(", ")) + ".",
          true));
    }
    JsonObject arguments;
    try {
      String raw = call.arguments();
      arguments = raw == null || raw.isBlank() ? new JsonObject() : new JsonObject(raw);
    } catch (DecodeException | ClassCastException e) {
      return Future.succeededFuture(new Outcome("The arguments are not a JSON object.", true));
    }
    // An MCP call has the same timeout in its client, whose answer names the server: this one is the backstop.
    long limit = timeout.toMillis() + (tool instanceof McpTool ? 1_000 : 0);
    return executor.executeBlocking(() -> tool.execute(arguments), false)
        .timeout(limit, TimeUnit.MILLISECONDS)
        .map(result -> new Outcome(result, false))
        .otherwise(failure -> {
          if (failure instanceof ToolException e) {
            return new Outcome(e.getMessage(), true);
          }
          if (failure instanceof java.util.concurrent.TimeoutException) {
            return new Outcome("The tool did not answer within " + limit + " ms.", true);
          }
          log.warn("Tool {} failed: {}", call.name(), Redaction.describe(failure));
          return new Outcome("The tool failed unexpectedly.", true); // its exception text stays in the log
        });
  }
}
