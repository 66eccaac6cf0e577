package dev.tokenrail.protocol;

/**
 * One event of a message's answer stream (protocol v1). Every event carries where it belongs
 * ({@code conversationId}, {@code messageId}, {@code attempt}), its place in the attempt ({@code seq},
 * 0-based) and when the worker created it ({@code ts}, epoch millis).
 *
 * <p>Immutable; encoded and decoded only by {@link ProtocolCodec}.
 */
public sealed interface StreamEvent {

  String conversationId();

  String messageId();

  int attempt();

  long seq();

  long ts();

  EventType type();

  default boolean terminal() {
    return type().terminal();
  }

  /** The first event of an attempt; {@code model} names the provider and model, e.g. {@code "demo"}. */
  record Start(String conversationId, String messageId, int attempt, long seq, long ts, String model)
      implements StreamEvent {
    public EventType type() {
      return EventType.START;
    }
  }

  record Token(String conversationId, String messageId, int attempt, long seq, long ts, String text)
      implements StreamEvent {
    public EventType type() {
      return EventType.TOKEN;
    }
  }

  /**
   * Part of the model's thinking (a reasoning model's {@code reasoning_content}, a provider's thinking
   * deltas): shown apart from the answer, never part of {@code done.text}.
   */
  record Reasoning(String conversationId, String messageId, int attempt, long seq, long ts, String text)
      implements StreamEvent {
    public EventType type() {
      return EventType.REASONING;
    }
  }

  /**
   * A tool call the model made; {@code arguments} is a JSON string, as the model produced it. A call of a
   * tool the client defined ({@code client}) is not run by the worker: the answer ends with it
   * ({@code done} with {@code finishReason} {@code tool_calls}) and the client sends the result with its
   * next message.
   */
  record ToolCall(String conversationId, String messageId, int attempt, long seq, long ts,
                  String toolCallId, String name, String arguments, boolean client) implements StreamEvent {

    /** A call of one of the worker's own tools: a {@code tool_result} follows it. */
    public ToolCall(String conversationId, String messageId, int attempt, long seq, long ts,
                    String toolCallId, String name, String arguments) {
      this(conversationId, messageId, attempt, seq, ts, toolCallId, name, arguments, false);
    }

    public EventType type() {
      return EventType.TOOL_CALL;
    }
  }

  record ToolResult(String conversationId, String messageId, int attempt, long seq, long ts,
                    String toolCallId, String name, String result, boolean isError) implements StreamEvent {
    public EventType type() {
      return EventType.TOOL_RESULT;
    }
  }

  record Usage(String conversationId, String messageId, int attempt, long seq, long ts,
               long inputTokens, long outputTokens) implements StreamEvent {
    public EventType type() {
      return EventType.USAGE;
    }
  }

  /** Terminal: {@code text} is the whole answer, equal to the concatenated {@code token} texts. */
  record Done(String conversationId, String messageId, int attempt, long seq, long ts,
              String text, String finishReason) implements StreamEvent {
    public EventType type() {
      return EventType.DONE;
    }
  }

  /** Terminal: the generation failed; {@code message} is safe to show to users. */
  record Error(String conversationId, String messageId, int attempt, long seq, long ts,
               ErrorCode code, String message) implements StreamEvent {
    public EventType type() {
      return EventType.ERROR;
    }
  }

  record Cancelled(String conversationId, String messageId, int attempt, long seq, long ts)
      implements StreamEvent {
    public EventType type() {
      return EventType.CANCELLED;
    }
  }

  /** Written by a gateway, never stored: the position a client asked for is gone; what follows restarts. */
  record Reset(String conversationId, String messageId, int attempt, long seq, long ts, String reason)
      implements StreamEvent {
    public EventType type() {
      return EventType.RESET;
    }
  }
}
