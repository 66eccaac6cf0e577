package dev.tokenrail.protocol;

import java.util.List;
import java.util.Optional;

/**
 * One turn of a conversation's memory: a user's message and the assistant's answer to it, as a record of
 * the compacted memory topic. The worker that owns the conversation's partition writes it twice: when it
 * takes the message ({@link Status#PENDING}) and when the answer ends. Compaction keeps the last.
 *
 * @param requestOffset  the message's offset in the requests partition: the order of the conversation's turns
 * @param answer         the assistant text the user was sent (for an interrupted turn, the part that streamed)
 * @param toolCalls      the tool calls the answer made, in order, with their results
 * @param attempt        the attempt that wrote the answer (0 while pending)
 * @param ts             when the record was written, epoch millis
 */
public record Turn(String conversationId, String messageId, long requestOffset, String userText, Status status,
                   String answer, List<ToolUse> toolCalls, int attempt, long ts) {

  public Turn {
    toolCalls = List.copyOf(toolCalls);
  }

  /** Where the answer stands. Only {@code pending} is not final. */
  public enum Status {
    PENDING("pending"), DONE("done"), CANCELLED("cancelled"), ERROR("error");

    private final String wireName;

    Status(String wireName) {
      this.wireName = wireName;
    }

    public String wireName() {
      return wireName;
    }

    public static Optional<Status> fromWireName(String name) {
      for (Status s : values()) {
        if (s.wireName.equals(name)) {
          return Optional.of(s);
        }
      }
      return Optional.empty();
    }
  }

  /**
   * A tool call and its outcome; {@code round} counts the model calls of the turn that asked for tools, from 0.
   * A call of a tool the client defined ({@code client}) has no result in the turn that made it — the answer
   * ended with it; the client's next message brings the result, recorded in that turn with round
   * {@link #CLIENT_RESULTS}, as what the turn starts from in place of user text.
   */
  public record ToolUse(String toolCallId, String name, String arguments, String result, boolean isError, int round,
                        boolean client) {

    public ToolUse(String toolCallId, String name, String arguments, String result, boolean isError, int round) {
      this(toolCallId, name, arguments, result, isError, round, false);
    }
  }

  /** The {@link ToolUse#round} of the results a client brought for the previous turn's calls of its tools. */
  public static final int CLIENT_RESULTS = -1;

  /** A message just taken by a worker, not answered yet; the results of client tools it brings are its start. */
  public static Turn pending(MessageRequest request, long requestOffset) {
    List<ToolUse> brought = request.tools().results().stream().map(r -> new ToolUse(r.toolCallId(), r.name(), "",
        r.content(), r.isError(), CLIENT_RESULTS, true)).toList();
    return new Turn(request.conversationId(), request.messageId(), requestOffset, request.text(), Status.PENDING,
        "", brought, 0, System.currentTimeMillis());
  }

  /** The results of client tools this turn starts from (its message brought them), in order. */
  public List<ToolUse> clientResults() {
    return toolCalls.stream().filter(c -> c.round() == CLIENT_RESULTS).toList();
  }

  /** The calls of the client's tools this turn's answer ended with, waiting for their results; none if it ended otherwise. */
  public List<ToolUse> openClientCalls() {
    return toolCalls.stream().filter(c -> c.client() && c.round() != CLIENT_RESULTS).toList();
  }

  /** What a result reads when the client's next message gave none for a call: the model must hear of every call. */
  public static final String NO_RESULT = "The client gave no result for this call.";

  /**
   * The results of {@code calls}, one per call, in the calls' order: the client's where it {@code gave} one (by
   * the call's id), else an error result saying it gave none — a provider refuses a prompt with a call left
   * unanswered. Results naming no call are left out: they would answer calls the model never made.
   */
  public static List<ToolUse> resultsFor(List<ToolUse> calls, List<ClientTools.Result> gave) {
    java.util.Map<String, ClientTools.Result> byId = new java.util.HashMap<>();
    gave.forEach(r -> byId.putIfAbsent(r.toolCallId(), r));
    return calls.stream().map(call -> {
      ClientTools.Result r = byId.get(call.toolCallId());
      return r == null
          ? new ToolUse(call.toolCallId(), call.name(), call.arguments(), NO_RESULT, true, CLIENT_RESULTS, true)
          : new ToolUse(call.toolCallId(), call.name(), call.arguments(), r.content(), r.isError(), CLIENT_RESULTS, true);
    }).toList();
  }

  public Turn ended(Status outcome, String answerText, List<ToolUse> calls, int byAttempt) {
    return new Turn(conversationId, messageId, requestOffset, userText, outcome, answerText, calls, byAttempt,
        System.currentTimeMillis());
  }

  /** The record key on the memory topic: a conversation's turns share its partition but compact separately. */
  public static String memoryKey(String conversationKey, String messageId) {
    return conversationKey + "/" + messageId;
  }

  /** The conversation key of a memory record key ({@link #memoryKey}); message ids contain no slash. */
  public static Optional<String> conversationKeyOf(String memoryKey) {
    int slash = memoryKey == null ? -1 : memoryKey.lastIndexOf('/');
    return slash <= 0 ? Optional.empty() : Optional.of(memoryKey.substring(0, slash));
  }
}
