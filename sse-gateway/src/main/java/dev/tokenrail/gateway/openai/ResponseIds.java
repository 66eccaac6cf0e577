package dev.tokenrail.gateway.openai;

import dev.tokenrail.protocol.ConversationIds;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Responses API id names a message of a conversation, so that any gateway can serve it with no table of
 * its own: {@code resp_<the message id's 32 hex digits><the conversation id>}. With authentication the
 * conversation is the caller's (its Kafka key includes the token's subject), so another caller's id finds
 * nothing.
 */
record ResponseIds(String conversationId, String messageId) {

  private static final Pattern ID = Pattern.compile(
      "resp_([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})([A-Za-z0-9_-]{1,64})");

  String responseId() {
    return "resp_" + messageId.replace("-", "") + conversationId;
  }

  /** The output message's item id, derived the same way on every gateway. */
  String messageItemId() {
    return "msg_" + messageId.replace("-", "");
  }

  static Optional<ResponseIds> parse(String id) {
    Matcher m = id == null ? null : ID.matcher(id);
    if (m == null || !m.matches()) {
      return Optional.empty();
    }
    String messageId = String.join("-", m.group(1), m.group(2), m.group(3), m.group(4), m.group(5));
    return ConversationIds.acceptedAt(messageId).isPresent() && ConversationIds.isValid(m.group(6))
        ? Optional.of(new ResponseIds(m.group(6), messageId)) : Optional.empty();
  }
}
