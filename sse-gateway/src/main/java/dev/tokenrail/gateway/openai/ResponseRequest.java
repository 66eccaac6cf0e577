package dev.tokenrail.gateway.openai;

import dev.tokenrail.gateway.http.ApiException;
import dev.tokenrail.protocol.CompletionOptions;
import dev.tokenrail.protocol.ConversationIds;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** What a {@code POST /v1/responses} body asks for, read and checked: a 400 names what is wrong. */
final class ResponseRequest {

  private ResponseRequest() {
  }

  /**
   * The previous response's conversation, or a new one: kept as long as any named conversation — or, with
   * {@code store: false}, erased after the stateless retention (a day by default), as a {@code /v1/chat}
   * completion that names no conversation is. The log holds every answer while it streams (that is what
   * makes it resumable), so "not stored" can only mean "not kept": a client that sends {@code store: false}
   * (agents that resend their whole input each turn do) gets the shortest keeping there is. A background
   * response is fetched later, so it must be stored, as OpenAI requires.
   */
  static String conversationOf(JsonObject body) {
    Object store = body.getValue("store");
    if (store != null && !(store instanceof Boolean)) {
      throw new ApiException(400, "invalid_store", "'store' is true or false.");
    }
    boolean stored = !Boolean.FALSE.equals(store);
    if (!stored && Boolean.TRUE.equals(body.getValue("background"))) {
      throw new ApiException(400, "invalid_store", "A background response is fetched later, so it must be stored: "
          + "'background': true needs 'store': true.");
    }
    Object previous = body.getValue("previous_response_id");
    if (previous == null) {
      return stored ? "resp-" + UUID.randomUUID().toString().replace("-", "") : ConversationIds.newStatelessId();
    }
    return ResponseIds.parse(previous instanceof String s ? s : null).map(ResponseIds::conversationId)
        .orElseThrow(() -> new ApiException(400, "invalid_previous_response_id", "'previous_response_id' is not a response id."));
  }

  /** {@code input}: a string, or message items of which the last user message is taken. */
  static String inputText(Object input, int maxTextBytes) {
    String text = null;
    if (input instanceof String s) {
      text = s;
    } else if (input instanceof JsonArray items) {
      for (int i = items.size() - 1; i >= 0 && text == null; i--) {
        if (items.getValue(i) instanceof JsonObject item && "user".equals(item.getValue("role"))) {
          text = contentText(item.getValue("content"));
        }
      }
    }
    if (text == null || text.isBlank()) {
      throw new ApiException(400, "missing_input", "'input' needs a string, or a user message with text.");
    }
    if (text.getBytes(StandardCharsets.UTF_8).length > maxTextBytes) {
      throw new ApiException(413, "input_too_long", "'input' is longer than " + maxTextBytes + " bytes.");
    }
    return text;
  }

  private static String contentText(Object content) {
    if (content instanceof String s) {
      return s;
    }
    List<String> texts = new ArrayList<>();
    if (content instanceof JsonArray parts) {
      for (Object p : parts) {
        if (p instanceof JsonObject part && "input_text".equals(part.getValue("type")) && part.getValue("text") instanceof String t) {
          texts.add(t);
        }
      }
    }
    return texts.isEmpty() ? null : String.join("\n\n", texts);
  }

  /**
   * Instructions and sampling for a new conversation. With {@code previous_response_id} none are sent: the
   * worker then gives the model the conversation's memory, which options (a client-held history) would replace.
   */
  static Optional<CompletionOptions> options(JsonObject body) {
    Object instructions = body.getValue("instructions");
    Object temperature = body.getValue("temperature");
    Object maxTokens = body.getValue("max_output_tokens");
    if (instructions != null && !(instructions instanceof String)) {
      throw new ApiException(400, "invalid_instructions", "'instructions' is a string.");
    }
    if (temperature != null && !(temperature instanceof Number t && t.doubleValue() >= 0 && t.doubleValue() <= 2)) {
      throw new ApiException(400, "invalid_temperature", "'temperature' is a number from 0 to 2.");
    }
    if (maxTokens != null && !(maxTokens instanceof Integer m && m > 0)) {
      throw new ApiException(400, "invalid_max_output_tokens", "'max_output_tokens' is a positive integer.");
    }
    if (body.getValue("previous_response_id") != null || (instructions == null && temperature == null && maxTokens == null)) {
      return Optional.empty();
    }
    List<CompletionOptions.Prior> prior = instructions == null ? List.of()
        : List.of(new CompletionOptions.Prior("system", (String) instructions));
    return Optional.of(new CompletionOptions(prior, Optional.ofNullable(temperature).map(t -> ((Number) t).doubleValue()),
        Optional.ofNullable((Integer) maxTokens)));
  }

  /** What the response object echoes of the request: what applies (not sampling with a previous response). */
  static JsonObject echo(JsonObject body) {
    JsonObject echo = new JsonObject();
    List<String> fields = body.getValue("previous_response_id") != null
        ? List.of("metadata", "background", "previous_response_id", "store")
        : List.of("instructions", "metadata", "temperature", "max_output_tokens", "background", "store");
    for (String field : fields) {
      if (body.getValue(field) != null) {
        echo.put(field, body.getValue(field));
      }
    }
    return echo;
  }
}
