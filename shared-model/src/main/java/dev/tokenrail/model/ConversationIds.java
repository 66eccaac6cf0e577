package dev.tokenrail.model;

import java.util.UUID;
import java.util.regex.Pattern;

/** Conversation and message ids, as clients may send them and as Tokenrail makes them. */
public final class ConversationIds {

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private ConversationIds() {
  }

  public static boolean isValid(String id) {
    return id != null && VALID.matcher(id).matches();
  }

  /**
   * The Kafka record key of a conversation on every topic. One place decides it, so that every topic
   * partitions a conversation the same way.
   */
  public static String kafkaKey(String conversationId) {
    return conversationId;
  }

  /** A new message id: random, URL-safe, valid wherever an id is. */
  public static String newMessageId() {
    return UUID.randomUUID().toString();
  }
}
