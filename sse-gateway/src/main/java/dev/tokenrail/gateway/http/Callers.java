package dev.tokenrail.gateway.http;

import dev.tokenrail.protocol.ConversationIds;
import io.vertx.ext.web.RoutingContext;

/**
 * Who is calling about which conversation: the path's conversation id, the caller's subject (left on the
 * routing context by authentication; none when it is off), and the Kafka key the two make — a
 * conversation belongs to its subject, so the same id of two subjects is two conversations.
 */
public final class Callers {

  /** Where authentication leaves the token's subject on the routing context. */
  private static final String SUBJECT = "tokenrail.subject";

  private Callers() {
  }

  public static void authenticated(RoutingContext ctx, String subject) {
    ctx.put(SUBJECT, subject);
  }

  /** The token's subject, or null when authentication is off. */
  public static String subject(RoutingContext ctx) {
    return ctx.get(SUBJECT);
  }

  /** The key of the conversation's records on every topic. */
  public static String kafkaKey(RoutingContext ctx, String conversationId) {
    return ConversationIds.kafkaKey(subject(ctx), conversationId);
  }

  /** The path's conversation id, or null after answering 400. */
  public static String conversationId(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!ConversationIds.isValid(id)) {
      ApiErrors.badRequest(ctx, "invalid_conversation_id", "Conversation ids match [A-Za-z0-9_-]{1,64}.");
      return null;
    }
    return id;
  }
}
