package dev.tokenrail.gateway.openai;

import dev.tokenrail.gateway.http.ApiException;
import dev.tokenrail.gateway.http.ToolBodies;
import dev.tokenrail.protocol.ClientTools;
import dev.tokenrail.protocol.CompletionOptions;
import dev.tokenrail.protocol.ConversationIds;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
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
  static String conversationOf(JsonObject body, java.util.function.Function<java.util.function.Supplier<String>, String> newId) {
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
      return stored ? newId.apply(() -> "resp-" + UUID.randomUUID().toString().replace("-", ""))
          : newId.apply(ConversationIds::newStatelessId);
    }
    return ResponseIds.parse(previous instanceof String s ? s : null).map(ResponseIds::conversationId)
        .orElseThrow(() -> new ApiException(400, "invalid_previous_response_id", "'previous_response_id' is not a response id."));
  }

  /**
   * What {@code input} brings: the user's new text, the results of the client's tools it brings
   * ({@code function_call_output} items), and — for a new conversation — the earlier items a client that
   * holds the conversation itself sends (messages, its {@code function_call} items and their outputs).
   */
  record Input(String text, List<CompletionOptions.Prior> history, List<ClientTools.Result> results) {
  }

  /**
   * {@code input}: a string, or items. From the end: the user's message (if any), then the
   * {@code function_call_output} items before it; everything before those is history. With
   * {@code previous_response_id} the workers' memory is the history: the items hold only what is new (echoes
   * of the previous output — {@code function_call} and {@code reasoning} items — are passed over).
   */
  static Input input(Object input, boolean continues, int maxTextBytes) {
    if (input instanceof String s) {
      return new Input(checkedText(s, maxTextBytes), List.of(), List.of());
    }
    if (!(input instanceof JsonArray items) || items.isEmpty()) {
      throw new ApiException(400, "missing_input", "'input' needs a string, or a user message with text.");
    }
    List<CompletionOptions.Prior> history = new ArrayList<>();
    Map<String, String> callNames = new HashMap<>();
    for (int i = 0; i < items.size(); i++) {
      if (!(items.getValue(i) instanceof JsonObject item)) {
        throw new ApiException(400, "invalid_input", "input[" + i + "] must be an object.");
      }
      String type = item.getValue("type") instanceof String t ? t : item.containsKey("role") ? "message" : "";
      switch (type) {
        case "message" -> {
          String role = item.getValue("role") instanceof String r ? r : "";
          String text = contentText(item.getValue("content"), i);
          switch (role) {
            case "user" -> history.add(new CompletionOptions.Prior("user", text));
            case "system", "developer" -> history.add(new CompletionOptions.Prior("system", text));
            case "assistant" -> history.add(new CompletionOptions.Prior("assistant", text));
            default -> throw new ApiException(400, "invalid_input", "input[" + i + "].role must be user, system,"
                + " developer or assistant.");
          }
        }
        case "function_call" -> {
          if (!(item.getValue("call_id") instanceof String id) || !(item.getValue("name") instanceof String name)) {
            throw new ApiException(400, "invalid_input", "input[" + i + "]: a function_call needs 'call_id' and 'name'.");
          }
          String arguments = item.getValue("arguments") instanceof String a ? a : "{}";
          callNames.put(id, name);
          CompletionOptions.ToolCallRef call = new CompletionOptions.ToolCallRef(id, name, arguments);
          int last = history.size() - 1;
          if (last >= 0 && history.get(last).role().equals("assistant")) { // calls of one model turn: one message
            CompletionOptions.Prior p = history.remove(last);
            List<CompletionOptions.ToolCallRef> calls = new ArrayList<>(p.toolCalls());
            calls.add(call);
            history.add(new CompletionOptions.Prior("assistant", p.content(), calls, null));
          } else {
            history.add(new CompletionOptions.Prior("assistant", "", List.of(call), null));
          }
        }
        case "function_call_output" -> {
          if (!(item.getValue("call_id") instanceof String id) || id.isBlank()) {
            throw new ApiException(400, "invalid_input", "input[" + i + "]: a function_call_output needs 'call_id'.");
          }
          Object output = item.getValue("output");
          String text = output instanceof JsonArray parts ? contentText(parts, i) : ToolBodies.resultText(output);
          history.add(new CompletionOptions.Prior("tool", text, List.of(), id));
        }
        case "reasoning", "item_reference", "mcp_call", "mcp_list_tools" -> {
          // Passed over: reasoning is not sent back to the model, references name items the log has, and the
          // workers' own tool calls (mcp_call items) are their business — a client that echoes its output back
          // must not be refused for it; their results are in the text the model answered with after them.
        }
        default -> throw new ApiException(400, "invalid_input", "input[" + i + "]: items of type '" + type
            + "' are not supported (messages, function_call and function_call_output are).");
      }
    }
    String text = "";
    if (!history.isEmpty() && history.get(history.size() - 1).role().equals("user")) {
      text = history.remove(history.size() - 1).content();
    }
    List<ClientTools.Result> results = new ArrayList<>();
    while (!history.isEmpty() && history.get(history.size() - 1).role().equals("tool")) {
      CompletionOptions.Prior r = history.remove(history.size() - 1);
      results.add(0, new ClientTools.Result(r.toolCallId(), callNames.getOrDefault(r.toolCallId(), ""), r.content(), false));
    }
    if (continues) { // the previous output's echoes are passed over; anything older is the memory's already
      history.removeIf(p -> p.role().equals("assistant") && p.content().isEmpty() && !p.toolCalls().isEmpty());
      if (!history.isEmpty()) {
        throw new ApiException(400, "invalid_input", "With 'previous_response_id' the conversation is remembered:"
            + " 'input' holds only what is new (function_call_output items, then a user message).");
      }
    }
    if (text.isBlank() && results.isEmpty()) {
      throw new ApiException(400, "missing_input", "'input' needs a string, or a user message with text, or"
          + " function_call_output items.");
    }
    ToolBodies.checkedSize(results, "input");
    return new Input(text.isBlank() ? "" : checkedText(text, maxTextBytes), history, results);
  }

  private static String checkedText(String text, int maxTextBytes) {
    if (text.isBlank()) {
      throw new ApiException(400, "missing_input", "'input' needs a string, or a user message with text.");
    }
    if (text.getBytes(StandardCharsets.UTF_8).length > maxTextBytes) {
      throw new ApiException(413, "input_too_long", "'input' is longer than " + maxTextBytes + " bytes.");
    }
    return text;
  }

  /** A message's text: a string, or its {@code input_text} / {@code output_text} parts joined by blank lines. */
  private static String contentText(Object content, int index) {
    if (content instanceof String s) {
      return s;
    }
    List<String> texts = new ArrayList<>();
    if (content instanceof JsonArray parts) {
      for (Object p : parts) {
        if (p instanceof JsonObject part && part.getValue("text") instanceof String t
            && ("input_text".equals(part.getValue("type")) || "output_text".equals(part.getValue("type")))) {
          texts.add(t);
        } else {
          throw new ApiException(400, "invalid_input", "input[" + index + "]: only text parts are supported.");
        }
      }
      return String.join("\n\n", texts);
    }
    throw new ApiException(400, "invalid_input", "input[" + index + "].content must be a string or text parts.");
  }

  /** {@code tools} (function tools, in the Responses API's flat shape) and {@code tool_choice}, with the input's results. */
  static ClientTools tools(JsonObject body, Input input) {
    List<ClientTools.Definition> definitions = ToolBodies.definitions(body.getValue("tools"), "tools");
    return new ClientTools(definitions, ToolBodies.choice(body.getValue("tool_choice"), definitions, "tool_choice"),
        input.results());
  }

  /**
   * Instructions and sampling for a new conversation. With {@code previous_response_id} none are sent: the
   * worker then gives the model the conversation's memory, which options (a client-held history) would replace.
   */
  static Optional<CompletionOptions> options(JsonObject body, Input input) {
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
    if (body.getValue("previous_response_id") != null
        || (instructions == null && temperature == null && maxTokens == null && input.history().isEmpty())) {
      return Optional.empty();
    }
    List<CompletionOptions.Prior> prior = new ArrayList<>();
    if (instructions != null) {
      prior.add(new CompletionOptions.Prior("system", (String) instructions));
    }
    prior.addAll(input.history());
    return Optional.of(new CompletionOptions(prior, Optional.ofNullable(temperature).map(t -> ((Number) t).doubleValue()),
        Optional.ofNullable((Integer) maxTokens)));
  }

  /** What the response object echoes of the request: what applies (not sampling with a previous response). */
  static JsonObject echo(JsonObject body) {
    JsonObject echo = new JsonObject();
    List<String> fields = body.getValue("previous_response_id") != null
        ? List.of("metadata", "background", "previous_response_id", "store", "tools", "tool_choice")
        : List.of("instructions", "metadata", "temperature", "max_output_tokens", "background", "store", "tools",
            "tool_choice");
    for (String field : fields) {
      if (body.getValue(field) != null) {
        echo.put(field, body.getValue(field));
      }
    }
    return echo;
  }
}
