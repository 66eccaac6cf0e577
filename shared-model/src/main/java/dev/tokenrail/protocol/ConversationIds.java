package dev.tokenrail.protocol;

import java.security.SecureRandom;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.regex.Pattern;

/** Conversation and message ids, as clients may send them and as Tokenrail makes them. */
public final class ConversationIds {

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern UUID_V7 =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String STATELESS_PREFIX = "chat-";
  private static final Pattern STATELESS =
      Pattern.compile("chat-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

  private ConversationIds() {
  }

  /**
   * The conversation of a stateless OpenAI-style request (one that names none: the client holds the
   * history). Its form is recognisable ({@link #isStateless}) so that the worker gives it a shorter life.
   */
  public static String newStatelessId() {
    return STATELESS_PREFIX + UUID.randomUUID();
  }

  /** Whether the conversation id has the form of {@link #newStatelessId}'s. */
  public static boolean isStateless(String conversationId) {
    return conversationId != null && conversationId.startsWith(STATELESS_PREFIX) && STATELESS.matcher(conversationId).matches();
  }

  /** The conversation id within a Kafka key ({@link #kafkaKey(String, String)}). */
  public static String conversationIdOf(String kafkaKey) {
    return kafkaKey.startsWith("~") ? kafkaKey.substring(kafkaKey.indexOf('~', 1) + 1) : kafkaKey;
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

  /**
   * The key of {@code conversationId} as {@code subject}'s conversation: two subjects using the same id
   * have two conversations, in every topic. Without a subject (authentication off) it is the id itself.
   * The subject appears only as a hash (no personal data in keys); '~' never occurs in an id, so a scoped
   * key can't equal an unscoped one.
   */
  public static String kafkaKey(String subject, String conversationId) {
    if (subject == null) {
      return kafkaKey(conversationId);
    }
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest(subject.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return "~" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, 22) + "~"
          + conversationId;
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A new message id: a UUIDv7 (RFC 9562), random but ordered by the millisecond it was made in, which
   * is when the gateway accepted the message. That time tells a gateway where in the events topic the
   * message's answer starts ({@link #acceptedAt}), without an index.
   */
  public static String newMessageId() {
    return newMessageId(System.currentTimeMillis());
  }

  /** A new message id made at {@code epochMillis}, the time its message was accepted. */
  public static String newMessageId(long epochMillis) {
    long msb = (epochMillis << 16) | 0x7000L | (RANDOM.nextInt() & 0x0FFFL);
    long lsb = (RANDOM.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb).toString();
  }

  /** When the message was accepted, read from its id; empty when the id is not one Tokenrail made. */
  public static OptionalLong acceptedAt(String messageId) {
    if (messageId == null || !UUID_V7.matcher(messageId).matches()) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(UUID.fromString(messageId).getMostSignificantBits() >>> 16);
  }

  /**
   * Whether a message accepted at {@code acceptedAt} (its id's time) can be one of a conversation that
   * started at {@code conversationStart} (empty: it has no message), allowing {@code clockSkewMillis}
   * between the clocks that stamped them: not before the conversation began, and not after {@code now}.
   */
  public static boolean couldBelong(long acceptedAt, java.util.OptionalLong conversationStart, long clockSkewMillis,
                                    long now) {
    return conversationStart.isPresent() && acceptedAt >= conversationStart.getAsLong() - clockSkewMillis
        && acceptedAt <= now + clockSkewMillis;
  }
}
