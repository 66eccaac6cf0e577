package dev.tokenrail.worker.tools;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.tokenrail.runtime.Redaction;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The Model Context Protocol servers a worker offers the tools of ({@link McpServerSettings}), each through the
 * MCP Java SDK's client. A server is connected, and its tools listed, off the event loop; one that does not
 * answer is not waited for: its tools are offered once it does (tried again every {@link #RECONNECT}, one log
 * line per new reason). Its tools run in the worker's tool pool with the same timeout as the built-in ones, and
 * every way a call can fail — the server down, slow, or answering an error — is an error result the model reads
 * ({@link ToolException}); a server that stopped answering is connected again in the background.
 */
public final class McpServers implements AutoCloseable {

  static final Duration RECONNECT = Duration.ofSeconds(30);
  /** Starting a session may start a process first (a JVM, an {@code npx} that fetches a package): not a tool call's time. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  /** No servers. */
  public static McpServers none() {
    return new McpServers(null, null, List.of(), Duration.ofSeconds(10));
  }

  private final Vertx vertx;
  private final WorkerExecutor executor;
  private final Duration timeout;
  private final List<McpConnection> servers;
  private long timer = -1;
  private volatile boolean closed;

  /**
   * @param executor where sessions are opened and closed (they block, up to {@link #START_TIMEOUT}): a pool of
   *                 its own, so servers that don't answer never hold the threads the tools run on
   * @param timeout  how long a server may take to answer a call
   */
  public McpServers(Vertx vertx, WorkerExecutor executor, List<McpServerSettings> settings, Duration timeout) {
    this.vertx = vertx;
    this.executor = executor;
    this.timeout = timeout;
    this.servers = settings.stream().map(McpConnection::new).toList();
  }

  /** Connects every server in the background, and again every {@link #RECONNECT} those that are not. */
  public void start() {
    if (servers.isEmpty()) {
      return;
    }
    servers.forEach(this::connect);
    timer = vertx.setPeriodic(RECONNECT.toMillis(), id -> servers.stream().filter(s -> s.client == null).forEach(this::connect));
  }

  /** How many tools server {@code name} offers now: 0 while it is not connected (a gauge per server). */
  public int toolCount(String name) {
    return servers.stream().filter(s -> s.settings.name().equals(name)).mapToInt(s -> s.tools.size()).sum();
  }

  public List<String> names() {
    return servers.stream().map(s -> s.settings.name()).toList();
  }

  /** The tools of every connected server, as offered to the model. */
  public List<ToolSpecification> specifications() {
    List<ToolSpecification> all = new ArrayList<>();
    servers.forEach(s -> s.tools.values().forEach(t -> all.add(t.specification())));
    return all;
  }

  /** The tool the model knows as {@code name}, if a server offers it. */
  public Optional<Tool> tool(String name) {
    for (McpConnection s : servers) {
      Tool tool = s.tools.get(name);
      if (tool != null) {
        return Optional.of(tool);
      }
    }
    return Optional.empty();
  }

  private void connect(McpConnection server) {
    if (closed || server.connecting) {
      return;
    }
    server.connecting = true;
    executor.executeBlocking(() -> server.open(timeout), false).onComplete(ar -> {
      server.connecting = false;
      if (ar.failed()) {
        server.problem("is not reachable (" + reason(ar.cause()) + "); its tools are offered once it answers");
      }
    });
  }

  /** Closes every client (and stops every server process this worker started). Blocking. */
  @Override
  public void close() {
    closed = true;
    if (timer != -1) {
      vertx.cancelTimer(timer);
    }
    servers.forEach(McpConnection::disconnect);
  }

  /** Closes every client off the event loop. */
  public Future<Void> closeAsync() {
    return servers.isEmpty() ? Future.succeededFuture() : executor.executeBlocking(() -> {
      close();
      return null;
    }, false);
  }

  /** A failure's deepest reason, redacted and kept short: for log lines and the error results the model reads. */
  static String reason(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String said = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    return Redaction.redact(said.length() > 200 ? said.substring(0, 200) + "…" : said);
  }
}
