package dev.tokenrail.protocol;

/**
 * A record of the requests topic, keyed by conversation. Besides users' messages and cancels, workers
 * write a {@code started} and an {@code ended} marker around each generation: the partition is the
 * ledger a worker that takes it over reads to tell which messages already ended and which attempt
 * comes next — from Kafka, not from anyone's memory.
 */
public sealed interface RequestRecord
    permits MessageRequest, RequestRecord.Cancel, RequestRecord.Started, RequestRecord.Ended, RequestRecord.Delete {

  String conversationId();

  String messageId();

  /** A user asked to stop generating {@code messageId}. */
  record Cancel(String conversationId, String messageId, long ts) implements RequestRecord {
  }

  /** A worker is about to generate {@code messageId}, as {@code attempt}. Acknowledged before {@code start}. */
  record Started(String conversationId, String messageId, int attempt, long ts) implements RequestRecord {
  }

  /** {@code messageId} has ended with {@code outcome} ({@code done}, {@code error}, {@code cancelled}). */
  record Ended(String conversationId, String messageId, int attempt, String outcome, long ts) implements RequestRecord {
  }

  /**
   * The conversation is erased: its turns ({@code messageIds}, as the gateway's transcript index knew them,
   * and any more the worker knows) are tombstoned, and it is forgotten. Its {@code messageId} is empty.
   */
  record Delete(String conversationId, java.util.List<String> messageIds, long ts) implements RequestRecord {
    public Delete {
      messageIds = java.util.List.copyOf(messageIds);
    }

    @Override
    public String messageId() {
      return "";
    }
  }
}
