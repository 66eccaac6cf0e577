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

  /** A tool call and its outcome; {@code round} counts the model calls of the turn that asked for tools, from 0. */
  public record ToolUse(String toolCallId, String name, String arguments, String result, boolean isError, int round) {
  }

  /** A message just taken by a worker, not answered yet. */
  public static Turn pending(MessageRequest request, long requestOffset) {
    return new Turn(request.conversationId(), request.messageId(), requestOffset, request.text(), Status.PENDING,
        "", List.of(), 0, System.currentTimeMillis());
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
