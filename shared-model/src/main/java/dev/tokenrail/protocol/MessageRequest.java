package dev.tokenrail.protocol;

import java.util.Optional;

/**
 * A user's chat message, as the gateway writes it to the requests topic once it has accepted it.
 * {@code ts} is when the gateway accepted it (epoch millis). {@code completion} is set for messages that
 * came through the OpenAI-compatible API: they carry their own history and sampling settings. {@code tools}
 * holds the tools the client defines and runs itself, and the results of the calls the previous answer ended
 * with; a message that brings results may have no text.
 */
public record MessageRequest(String conversationId, String messageId, String text, long ts,
                             Optional<CompletionOptions> completion, ClientTools tools) implements RequestRecord {

  public MessageRequest {
    tools = tools == null ? ClientTools.ABSENT : tools;
  }

  /** A message of Tokenrail's own API: the worker's memory of the conversation is its history. */
  public MessageRequest(String conversationId, String messageId, String text, long ts) {
    this(conversationId, messageId, text, ts, Optional.empty(), ClientTools.ABSENT);
  }

  /** A message that brings no tools of its client's. */
  public MessageRequest(String conversationId, String messageId, String text, long ts,
                        Optional<CompletionOptions> completion) {
    this(conversationId, messageId, text, ts, completion, ClientTools.ABSENT);
  }
}
