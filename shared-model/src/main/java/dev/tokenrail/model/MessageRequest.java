package dev.tokenrail.model;

/**
 * A user's chat message, as the gateway writes it to the requests topic once it has accepted it.
 * {@code ts} is when the gateway accepted it (epoch millis).
 */
public record MessageRequest(String conversationId, String messageId, String text, long ts) implements RequestRecord {
}
