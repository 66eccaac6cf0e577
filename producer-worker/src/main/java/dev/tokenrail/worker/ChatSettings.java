package dev.tokenrail.worker;

import dev.tokenrail.runtime.Env;
import dev.tokenrail.worker.memory.MemoryWindow;
import dev.tokenrail.worker.tools.McpServerSettings;
import dev.tokenrail.worker.tools.Tool;
import dev.tokenrail.worker.tools.Toolbox;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What a turn may draw on besides the message: the earlier turns in the memory window, and tools.
 *
 * @param memory         how much of the conversation the model is sent
 * @param tools          the tools offered to the model; empty offers none (for providers that reject tools)
 * @param maxToolRounds  model calls per turn that may call tools; the next one is offered none
 * @param toolTimeout    a tool call that takes longer is answered with an error result
 * @param retention      a conversation idle this long (no turn written) is erased: its memory, transcript and start
 * @param conversationsInMemory  conversations whose recent turns a worker holds; the others' are read back from
 *                       the memory topic when they have a message again
 * @param statelessRetention  the same for the conversation of a stateless {@code /v1/chat/completions} (one that
 *                       names none, {@code ConversationIds.isStateless}): its client holds the history, so it is
 *                       kept only for a resume or a look at its transcript
 * @param mcpServers     Model Context Protocol servers whose tools are offered beside {@code tools}
 */
public record ChatSettings(MemoryWindow memory, List<Tool> tools, int maxToolRounds, Duration toolTimeout,
                           Duration retention, int conversationsInMemory, Duration statelessRetention,
                           List<McpServerSettings> mcpServers) {

  public static final int DEFAULT_MAX_TOOL_ROUNDS = 5;
  public static final Duration DEFAULT_TOOL_TIMEOUT = Duration.ofSeconds(10);
  /** A month: far longer than the events topic keeps tokens (Kafka's default 7 days), as chat apps keep history. */
  public static final Duration DEFAULT_RETENTION = Duration.ofDays(30);
  /**
   * Ten thousand: forty turns of a few hundred bytes each make a few hundred megabytes at worst, and far
   * more conversations than a worker's generation slots are ever busy with.
   */
  public static final int DEFAULT_CONVERSATIONS_IN_MEMORY = 10_000;
  /** A day: a stateless completion's answer can be resumed or looked at for that long, then it takes no room. */
  public static final Duration DEFAULT_STATELESS_RETENTION = Duration.ofDays(1);
  public static final ChatSettings DEFAULT = new ChatSettings(MemoryWindow.DEFAULT, Toolbox.standardTools(),
      DEFAULT_MAX_TOOL_ROUNDS, DEFAULT_TOOL_TIMEOUT, DEFAULT_RETENTION, DEFAULT_CONVERSATIONS_IN_MEMORY,
      DEFAULT_STATELESS_RETENTION, List.of());

  public ChatSettings {
    tools = List.copyOf(tools);
    mcpServers = List.copyOf(mcpServers);
    if (retention.isNegative() || retention.isZero() || statelessRetention.isNegative() || statelessRetention.isZero()) {
      throw new IllegalArgumentException("conversation retentions must be positive");
    }
    if (conversationsInMemory < 1) {
      throw new IllegalArgumentException("at least one conversation must fit in memory");
    }
  }

  public ChatSettings(MemoryWindow memory, List<Tool> tools, int maxToolRounds, Duration toolTimeout) {
    this(memory, tools, maxToolRounds, toolTimeout, DEFAULT_RETENTION, DEFAULT_CONVERSATIONS_IN_MEMORY, DEFAULT_STATELESS_RETENTION,
        List.of());
  }

  public ChatSettings withRetention(Duration idle) {
    return new ChatSettings(memory, tools, maxToolRounds, toolTimeout, idle, conversationsInMemory, statelessRetention, mcpServers);
  }

  public ChatSettings withStatelessRetention(Duration idle) {
    return new ChatSettings(memory, tools, maxToolRounds, toolTimeout, retention, conversationsInMemory, idle, mcpServers);
  }

  public ChatSettings withConversationsInMemory(int conversations) {
    return new ChatSettings(memory, tools, maxToolRounds, toolTimeout, retention, conversations, statelessRetention,
        mcpServers);
  }

  public ChatSettings withMemory(MemoryWindow window) {
    return new ChatSettings(window, tools, maxToolRounds, toolTimeout, retention, conversationsInMemory, statelessRetention, mcpServers);
  }

  public ChatSettings withMcpServers(List<McpServerSettings> servers) {
    return new ChatSettings(memory, tools, maxToolRounds, toolTimeout, retention, conversationsInMemory, statelessRetention,
        servers);
  }

  public ChatSettings withTools(List<Tool> offered) {
    return new ChatSettings(memory, offered, maxToolRounds, toolTimeout, retention, conversationsInMemory, statelessRetention, mcpServers);
  }

  /**
   * {@code TOKENRAIL_MEMORY_MAX_MESSAGES}, {@code TOKENRAIL_MEMORY_MAX_TOKENS}, {@code TOKENRAIL_TOOLS}
   * (comma-separated names, or {@code none}), {@code TOKENRAIL_MAX_TOOL_ROUNDS}, {@code TOKENRAIL_TOOL_TIMEOUT_SECONDS},
   * {@code TOKENRAIL_CONVERSATION_RETENTION_HOURS}, {@code TOKENRAIL_MEMORY_MAX_CONVERSATIONS},
   * {@code TOKENRAIL_STATELESS_RETENTION_HOURS}, {@code TOKENRAIL_MCP_SERVERS} ({@link McpServerSettings#parse}).
   */
  public static ChatSettings fromEnv(Env env) {
    Map<String, Tool> standard = Toolbox.standardTools().stream()
        .collect(Collectors.toMap(Tool::name, Function.identity(), (a, b) -> a, LinkedHashMap::new));
    String names = env.string("TOKENRAIL_TOOLS", String.join(",", standard.keySet())).trim();
    List<Tool> tools = names.isEmpty() || names.equals("none") ? List.of() : Arrays.stream(names.split(","))
        .map(String::trim).map(name -> {
          Tool tool = standard.get(name);
          if (tool == null) {
            throw new IllegalArgumentException("TOKENRAIL_TOOLS names an unknown tool '" + name + "'; known: "
                + String.join(", ", standard.keySet()) + ", or none");
          }
          return tool;
        }).toList();
    return new ChatSettings(
        new MemoryWindow(env.intValue("TOKENRAIL_MEMORY_MAX_MESSAGES", MemoryWindow.DEFAULT.maxMessages(), 1, 10_000),
            env.intValue("TOKENRAIL_MEMORY_MAX_TOKENS", MemoryWindow.DEFAULT.maxTokens(), 1, 10_000_000)),
        tools,
        env.intValue("TOKENRAIL_MAX_TOOL_ROUNDS", DEFAULT_MAX_TOOL_ROUNDS, 0, 50),
        Duration.ofSeconds(env.intValue("TOKENRAIL_TOOL_TIMEOUT_SECONDS", (int) DEFAULT_TOOL_TIMEOUT.toSeconds(), 1, 3_600)),
        Duration.ofHours(env.intValue("TOKENRAIL_CONVERSATION_RETENTION_HOURS", (int) DEFAULT_RETENTION.toHours(), 1,
            10 * 365 * 24)),
        env.intValue("TOKENRAIL_MEMORY_MAX_CONVERSATIONS", DEFAULT_CONVERSATIONS_IN_MEMORY, 1, 10_000_000),
        Duration.ofHours(env.intValue("TOKENRAIL_STATELESS_RETENTION_HOURS", (int) DEFAULT_STATELESS_RETENTION.toHours(), 1,
            10 * 365 * 24)),
        McpServerSettings.parse(env.string("TOKENRAIL_MCP_SERVERS", ""), env::optional));
  }
}
