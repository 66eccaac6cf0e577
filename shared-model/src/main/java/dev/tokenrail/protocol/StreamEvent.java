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
   * Stored only, never sent to a client: the consecutive tokens {@code seq}, {@code seq + 1}, … of an attempt in one
   * record. One Kafka record per token costs the worker, the broker and the gateway each a record's work for every
   * token; under load the worker puts the tokens that piled up into one record instead, and the gateway sends
   * each as the {@link Token} it stands for ({@link #tokens}), with an event id of its own. {@code ts} is when the
   * first of them was made.
   */
  record Tokens(String conversationId, String messageId, int attempt, long seq, long ts, java.util.List<String> texts)
      implements StreamEvent {

    /** The most tokens one record may carry; a worker's own cap may be lower. */
    public static final int MAX_TOKENS = 1_024;

    public Tokens {
      texts = java.util.List.copyOf(texts);
      if (texts.isEmpty() || texts.size() > MAX_TOKENS) {
        throw new IllegalArgumentException("a run holds 1 to " + MAX_TOKENS + " tokens, not " + texts.size());
      }
    }

    public EventType type() {
      return EventType.TOKENS;
    }

    /** The token events this run stands for, in order. */
    public java.util.List<Token> tokens() {
      java.util.List<Token> tokens = new java.util.ArrayList<>(texts.size());
      for (int i = 0; i < texts.size(); i++) {
        tokens.add(new Token(conversationId, messageId, attempt, seq + i, ts, texts.get(i)));
      }
      return tokens;
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
