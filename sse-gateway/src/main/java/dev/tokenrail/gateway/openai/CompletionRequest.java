package dev.tokenrail.gateway.openai;

import dev.tokenrail.gateway.http.ApiException;
import dev.tokenrail.protocol.CompletionOptions;
import dev.tokenrail.protocol.ConversationIds;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A {@code POST /v1/chat/completions} body, checked: the conversation it continues (named by
 * {@code conversation_id} or {@code X-Conversation-Id}, else a new one), the last user message to answer,
 * the earlier messages and settings the model is sent, and how the answer is written. A body this
 * gateway cannot honour is refused with an {@link ApiException} in OpenAI's terms.
 */
record CompletionRequest(String conversationId, boolean conversationNamed, String text, CompletionOptions options,
                         boolean stream, boolean includeUsage) {

  private static final int MAX_MESSAGES = 1_000;

  /** The request's body as OpenAI defines it, checked; {@code maxTextBytes} bounds the last message. */
  static CompletionRequest parse(RoutingContext ctx, JsonObject body, int maxTextBytes) {
    String conversationId = body.getValue("conversation_id") instanceof String id ? id
        : ctx.request().getHeader("X-Conversation-Id");
    if (body.containsKey("conversation_id") && !(body.getValue("conversation_id") instanceof String)) {
      throw invalid("conversation_id", "'conversation_id' must be a string.");
    }
    boolean named = conversationId != null;
    if (named && !ConversationIds.isValid(conversationId)) {
      throw invalid("conversation_id", "Conversation ids match [A-Za-z0-9_-]{1,64}.");
    }
    if (!named) {
      conversationId = ConversationIds.newStatelessId();
    }
    if (!(body.getValue("messages") instanceof JsonArray messages) || messages.isEmpty()) {
      throw invalid("messages", "'messages' must be a non-empty array.");
    }
    if (messages.size() > MAX_MESSAGES) {
      throw invalid("messages", "At most " + MAX_MESSAGES + " messages.");
    }
    if (body.getValue("tools") instanceof JsonArray tools && !tools.isEmpty()) {
      throw invalid("tools", "Client-defined tools are not supported: Tokenrail's workers run their own tools.");
    }
    if (body.containsKey("n") && !Integer.valueOf(1).equals(body.getValue("n"))) {
      throw invalid("n", "Only n = 1 is supported.");
    }
    List<CompletionOptions.Prior> history = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      if (!(messages.getValue(i) instanceof JsonObject message)) {
        throw invalid("messages", "messages[" + i + "] must be an object.");
      }
      String role = message.getValue("role") instanceof String r ? r : "";
      String content = contentOf(message.getValue("content"), i);
      switch (role) {
        case "system", "developer" -> history.add(new CompletionOptions.Prior("system", content));
        case "user", "assistant" -> history.add(new CompletionOptions.Prior(role, content));
        case "tool", "function" -> throw invalid("messages",
            "messages[" + i + "]: tool results are not supported; Tokenrail's workers run their own tools.");
        default -> throw invalid("messages", "messages[" + i + "].role must be system, developer, user or assistant.");
      }
    }
    CompletionOptions.Prior last = history.remove(history.size() - 1);
    if (!last.role().equals("user") || last.content().isBlank()) {
      throw invalid("messages", "The last message must be the user's, with text.");
    }
    if (last.content().getBytes(StandardCharsets.UTF_8).length > maxTextBytes) {
      throw new ApiException(400, "text_too_long", "The last message is longer than " + maxTextBytes + " bytes.");
    }
    Optional<Double> temperature = Optional.empty();
    if (body.getValue("temperature") != null) {
      if (!(body.getValue("temperature") instanceof Number t) || t.doubleValue() < 0 || t.doubleValue() > 2) {
        throw invalid("temperature", "'temperature' must be a number from 0 to 2.");
      }
      temperature = Optional.of(t.doubleValue());
    }
    Optional<Integer> maxTokens = Optional.empty();
    for (String name : List.of("max_tokens", "max_completion_tokens")) {
      Object value = body.getValue(name);
      if (value != null) {
        if (!(value instanceof Integer n) || n < 1) {
          throw invalid(name, "'" + name + "' must be a positive integer.");
        }
        maxTokens = Optional.of(n);
      }
    }
    Object stream = body.getValue("stream");
    if (stream != null && !(stream instanceof Boolean)) {
      throw invalid("stream", "'stream' must be true or false.");
    }
    Object options = body.getValue("stream_options");
    if (options != null && !(options instanceof JsonObject)) {
      throw invalid("stream_options", "'stream_options' must be an object.");
    }
    boolean includeUsage = options instanceof JsonObject o && Boolean.TRUE.equals(o.getValue("include_usage"));
    return new CompletionRequest(conversationId, named, last.content(), new CompletionOptions(history, temperature, maxTokens),
        Boolean.TRUE.equals(stream), includeUsage);
  }

  /** A message's text: a string, or an array of parts of which the text parts count. */
  private static String contentOf(Object content, int index) {
    if (content == null) {
      return "";
    }
    if (content instanceof String s) {
      return s;
    }
    if (content instanceof JsonArray parts) {
      StringBuilder text = new StringBuilder();
      for (Object part : parts) {
        if (part instanceof JsonObject p && "text".equals(p.getValue("type")) && p.getValue("text") instanceof String t) {
          text.append(t);
        } else {
          throw invalid("messages", "messages[" + index + "].content: only text parts are supported.");
        }
      }
      return text.toString();
    }
    throw invalid("messages", "messages[" + index + "].content must be a string or an array of text parts.");
  }

  private static ApiException invalid(String param, String message) {
    return new ApiException(400, "invalid_" + param, message);
  }
}
