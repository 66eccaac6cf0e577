package dev.tokenrail.protocol;

import java.util.List;
import java.util.Optional;

/**
 * What an OpenAI-style request brings besides its last user message: the conversation as the client holds
 * it (OpenAI clients send the whole history each time, so the model is sent exactly that, not the
 * worker's memory) and sampling settings passed to the provider.
 *
 * @param history     the messages before the last user message (or before the tool results the request
 *                    ends with: {@link MessageRequest#tools()}), oldest first
 * @param temperature sampling temperature, 0–2
 * @param maxTokens   the most tokens the answer may have
 */
public record CompletionOptions(List<Prior> history, Optional<Double> temperature, Optional<Integer> maxTokens) {

  /**
   * One earlier message; {@code role} is {@code system}, {@code user}, {@code assistant} — with the calls of
   * the client's tools it made, if any — or {@code tool}: the result of the call {@code toolCallId}.
   */
  public record Prior(String role, String content, List<ToolCallRef> toolCalls, String toolCallId) {
    public Prior {
      if (!role.equals("system") && !role.equals("user") && !role.equals("assistant") && !role.equals("tool")) {
        throw new IllegalArgumentException("role must be system, user, assistant or tool: " + role);
      }
      toolCalls = List.copyOf(toolCalls);
      if (!toolCalls.isEmpty() && !role.equals("assistant")) {
        throw new IllegalArgumentException("only an assistant message makes tool calls");
      }
      if (role.equals("tool") == (toolCallId == null)) {
        throw new IllegalArgumentException("a tool message, and only a tool message, names the call it answers");
      }
    }

    public Prior(String role, String content) {
      this(role, content, List.of(), null);
    }
  }

  /** A tool call an earlier assistant message made: {@code arguments} is the JSON text the model produced. */
  public record ToolCallRef(String id, String name, String arguments) {
  }

  public CompletionOptions {
    history = List.copyOf(history);
  }
}
