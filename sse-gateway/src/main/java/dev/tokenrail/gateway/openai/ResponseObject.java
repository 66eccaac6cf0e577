package dev.tokenrail.gateway.openai;

import dev.tokenrail.protocol.ConversationIds;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The Responses API's {@code response} object, in the shape OpenAI's SDKs parse: what a request asked for
 * (model, instructions, metadata, sampling, background, the previous response), and where its answer stands
 * (status, the output message, usage, the error). Built from the stream's events or from the transcript —
 * the same object whichever gateway builds it.
 */
final class ResponseObject {

  private final ResponseIds ids;
  private final String model;
  private final JsonObject request;
  private String status = "queued";
  private String text;
  private JsonObject usage;
  private JsonObject error;
  /** The tool calls, in the order they were made: the workers' as mcp_call items, the client's as function_call items. */
  private final java.util.List<JsonObject> toolItems = new java.util.ArrayList<>();
  /** Where the message item stands among the output items: after the tool calls made before its first text. */
  private int messagePosition = -1;

  /**
   * @param request what the client asked for, as far as the response object echoes it ({@code instructions},
   *                {@code metadata}, {@code temperature}, {@code max_output_tokens}, {@code background},
   *                {@code previous_response_id}); empty when only the id is known (a read of the object)
   */
  ResponseObject(ResponseIds ids, String model, JsonObject request) {
    this.ids = ids;
    this.model = model;
    this.request = request;
  }

  boolean isRunning() {
    return status.equals("queued") || status.equals("in_progress");
  }

  ResponseObject status(String status) {
    this.status = status;
    return this;
  }

  ResponseObject text(String text) {
    this.text = text;
    return this;
  }

  ResponseObject usage(long input, long output) {
    this.usage = new JsonObject().put("input_tokens", input)
        .put("input_tokens_details", new JsonObject().put("cached_tokens", 0))
        .put("output_tokens", output)
        .put("output_tokens_details", new JsonObject().put("reasoning_tokens", 0))
        .put("total_tokens", input + output);
    return this;
  }

  ResponseObject error(String code, String message) {
    this.error = new JsonObject().put("code", code).put("message", message);
    return this;
  }

  /**
   * A call of one of the workers' own tools — built in, or an MCP server's ({@code <server>__<tool>}) — as an
   * {@code mcp_call} output item: a tool the server ran, with its output, which a client has nothing to do
   * about. (A {@code function_call} item would tell every Responses client to run it.) The built-in tools'
   * server label is {@code tokenrail}.
   */
  static JsonObject workerToolItem(String toolCallId, String name, String arguments, String result, boolean isError) {
    int split = name.indexOf("__");
    JsonObject item = new JsonObject().put("id", "mcp_" + toolCallId).put("type", "mcp_call")
        .put("server_label", split > 0 ? name.substring(0, split) : "tokenrail")
        .put("name", split > 0 ? name.substring(split + 2) : name)
        .put("arguments", arguments == null || arguments.isEmpty() ? "{}" : arguments)
        .put("status", result == null ? "in_progress" : isError ? "failed" : "completed");
    if (result != null) {
      item.put("output", result).put("error", isError ? result : null);
    }
    return item;
  }

  /** A call of a tool the client defined, as a {@code function_call} item: the client runs it. */
  static JsonObject clientToolItem(String toolCallId, String name, String arguments, String itemStatus) {
    return new JsonObject().put("id", "fc_" + toolCallId).put("type", "function_call").put("call_id", toolCallId)
        .put("name", name).put("arguments", arguments).put("status", itemStatus);
  }

  /** A new attempt: the output starts over. */
  void restartOutput() {
    toolItems.clear();
    messagePosition = -1;
    text = null;
  }

  /** Adds or replaces (by id) a tool item; returns its output index. */
  int tool(JsonObject item) {
    for (int i = 0; i < toolItems.size(); i++) {
      if (toolItems.get(i).getString("id").equals(item.getString("id"))) {
        toolItems.set(i, item);
        return i < messagePosition || messagePosition < 0 ? i : i + 1;
      }
    }
    toolItems.add(item);
    return messagePosition < 0 ? toolItems.size() - 1 : toolItems.size();
  }

  /** The message item's output index, fixed when its first text comes. */
  int messageIndex() {
    if (messagePosition < 0) {
      messagePosition = toolItems.size();
    }
    return messagePosition;
  }

  /** The output message item; {@code itemStatus} {@code in_progress} while it streams. */
  JsonObject messageItem(String itemStatus, String itemText) {
    JsonArray content = new JsonArray();
    if (itemText != null) {
      content.add(textPart(itemText));
    }
    return new JsonObject().put("id", ids.messageItemId()).put("type", "message").put("role", "assistant")
        .put("status", itemStatus).put("content", content);
  }

  static JsonObject textPart(String text) {
    return new JsonObject().put("type", "output_text").put("text", text).put("annotations", new JsonArray())
        .put("logprobs", new JsonArray());
  }

  JsonObject toJson() {
    JsonArray output = new JsonArray();
    toolItems.forEach(output::add);
    if (text != null) {
      JsonObject message = messageItem(status.equals("in_progress") ? "in_progress" : "completed", text);
      if (messagePosition >= 0 && messagePosition < output.size()) {
        output.getList().add(messagePosition, message);
      } else {
        output.add(message);
      }
    }
    return new JsonObject()
        .put("id", ids.responseId())
        .put("object", "response")
        .put("created_at", ConversationIds.acceptedAt(ids.messageId()).orElse(0) / 1000)
        .put("status", status)
        .put("background", request.getBoolean("background", false))
        .put("error", error)
        .put("incomplete_details", null)
        .put("instructions", request.getValue("instructions"))
        .put("max_output_tokens", request.getValue("max_output_tokens"))
        .put("metadata", request.getJsonObject("metadata", new JsonObject()))
        .put("model", model)
        .put("output", output)
        .put("parallel_tool_calls", true)
        .put("previous_response_id", request.getValue("previous_response_id"))
        .put("store", request.getBoolean("store", true))
        .put("temperature", request.getValue("temperature"))
        .put("text", new JsonObject().put("format", new JsonObject().put("type", "text")))
        .put("tool_choice", request.getValue("tool_choice", "auto"))
        .put("tools", request.getJsonArray("tools", new JsonArray()))
        .put("top_p", null)
        .put("usage", usage);
  }
}
