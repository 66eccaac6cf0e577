package dev.tokenrail.gateway.openai;

import dev.tokenrail.gateway.http.ApiException;
import dev.tokenrail.gateway.http.ToolBodies;
import dev.tokenrail.protocol.ClientTools;
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
                         ClientTools tools, boolean stream, boolean includeUsage) {

  private static final int MAX_MESSAGES = 1_000;

  /**
   * The request's body as OpenAI defines it, checked; {@code maxTextBytes} bounds the last message, and
   * {@code newConversationId} names the conversation of a request that names none (a stateless one).
   */
  static CompletionRequest parse(RoutingContext ctx, JsonObject body, int maxTextBytes,
                                 java.util.function.Supplier<String> newConversationId) {
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
      conversationId = newConversationId.get();
    }
    if (!(body.getValue("messages") instanceof JsonArray messages) || messages.isEmpty()) {
      throw invalid("messages", "'messages' must be a non-empty array.");
    }
    if (messages.size() > MAX_MESSAGES) {
      throw invalid("messages", "At most " + MAX_MESSAGES + " messages.");
    }
    if (body.containsKey("n") && !Integer.valueOf(1).equals(body.getValue("n"))) {
      throw invalid("n", "Only n = 1 is supported.");
    }
    List<ClientTools.Definition> tools = ToolBodies.definitions(body.getValue("tools"), "tools");
    String toolChoice = ToolBodies.choice(body.getValue("tool_choice"), tools, "tool_choice");
    List<CompletionOptions.Prior> history = new ArrayList<>();
    // OpenAI's rule, checked here so the answer is a clear 400 and not the provider's: an assistant message's
    // tool calls are each answered by the tool messages right after it.
    java.util.Map<String, String> unanswered = new java.util.LinkedHashMap<>(); // call id → name
    for (int i = 0; i < messages.size(); i++) {
      if (!(messages.getValue(i) instanceof JsonObject message)) {
        throw invalid("messages", "messages[" + i + "] must be an object.");
      }
      String role = message.getValue("role") instanceof String r ? r : "";
      String content = contentOf(message.getValue("content"), i);
      if (!role.equals("tool") && !unanswered.isEmpty()) {
        throw invalid("messages", "messages[" + i + "]: the tool calls " + unanswered.keySet()
            + " of an earlier assistant message must each be answered by a tool message right after it.");
      }
      switch (role) {
        case "system", "developer" -> history.add(new CompletionOptions.Prior("system", content));
        case "user" -> history.add(new CompletionOptions.Prior(role, content));
        case "assistant" -> {
          List<CompletionOptions.ToolCallRef> calls = callsOf(message.getValue("tool_calls"), i);
          calls.forEach(c -> unanswered.put(c.id(), c.name()));
          history.add(new CompletionOptions.Prior(role, content, calls, null));
        }
        case "tool" -> {
          if (!(message.getValue("tool_call_id") instanceof String id) || !unanswered.containsKey(id)) {
            throw invalid("messages", "messages[" + i + "].tool_call_id must name a call of the assistant message before it"
                + " that no other tool message answered.");
          }
          unanswered.remove(id);
          history.add(new CompletionOptions.Prior("tool", content, List.of(), id));
        }
        default -> throw invalid("messages", "messages[" + i + "].role must be system, developer, user, assistant or tool.");
      }
    }
    if (!unanswered.isEmpty()) {
      throw invalid("messages", "The tool calls " + unanswered.keySet() + " of the last assistant message need tool messages"
          + " with their results.");
    }
    CompletionOptions.Prior last = history.get(history.size() - 1);
    String text;
    List<ClientTools.Result> results = new ArrayList<>();
    if (last.role().equals("tool")) { // the client's tools' results: the model goes on from them, no new user text
      text = "";
      java.util.Map<String, String> names = new java.util.HashMap<>();
      history.stream().flatMap(p -> p.toolCalls().stream()).forEach(c -> names.put(c.id(), c.name()));
      while (history.get(history.size() - 1).role().equals("tool")) {
        CompletionOptions.Prior result = history.remove(history.size() - 1);
        results.add(0, new ClientTools.Result(result.toolCallId(), names.getOrDefault(result.toolCallId(), ""),
            result.content(), false));
      }
    } else {
      history.remove(history.size() - 1);
      if (!last.role().equals("user") || last.content().isBlank()) {
        throw invalid("messages", "The last message must be the user's, with text, or tool results.");
      }
      text = last.content();
    }
    if (text.getBytes(StandardCharsets.UTF_8).length > maxTextBytes) {
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
    return new CompletionRequest(conversationId, named, text, new CompletionOptions(history, temperature, maxTokens),
        new ClientTools(tools, toolChoice, results), Boolean.TRUE.equals(stream), includeUsage);
  }

  /** The {@code tool_calls} of an assistant message of the history. */
  private static List<CompletionOptions.ToolCallRef> callsOf(Object value, int index) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray calls)) {
      throw invalid("messages", "messages[" + index + "].tool_calls must be an array.");
    }
    List<CompletionOptions.ToolCallRef> out = new ArrayList<>();
    for (Object c : calls) {
      if (!(c instanceof JsonObject call) || !(call.getValue("id") instanceof String id) || id.isBlank()
          || !(call.getValue("function") instanceof JsonObject f) || !(f.getValue("name") instanceof String name)) {
        throw invalid("messages", "messages[" + index + "].tool_calls: each needs an id and a function name.");
      }
      Object arguments = f.getValue("arguments");
      if (arguments != null && !(arguments instanceof String)) {
        throw invalid("messages", "messages[" + index + "].tool_calls: function.arguments must be a JSON string.");
      }
      out.add(new CompletionOptions.ToolCallRef(id, name, arguments == null ? "{}" : (String) arguments));
    }
    return out;
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
