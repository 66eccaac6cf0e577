package dev.tokenrail.gateway.http;

import dev.tokenrail.protocol.ClientTools;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The tools a client defines and runs itself, as a request body describes them, checked here so a worker only
 * ever sees well-formed definitions. Every route takes the same two shapes of a tool: Chat Completions'
 * {@code {"type": "function", "function": {"name", "description", "parameters"}}} and the flat one of the
 * Responses API (and of Tokenrail's own routes), {@code {"type": "function", "name", "description", "parameters"}}.
 */
public final class ToolBodies {

  /** OpenAI's own limit on a request's tools, and its rule for their names. */
  public static final int MAX_TOOLS = 128;
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final int MAX_DESCRIPTION_CHARS = 4_096;

  private ToolBodies() {
  }

  /** A body's tool list ({@code param} names it in errors); none when absent. */
  public static List<ClientTools.Definition> definitions(Object value, String param) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray tools)) {
      throw invalid(param, "'" + param + "' must be an array.");
    }
    if (tools.size() > MAX_TOOLS) {
      throw invalid(param, "At most " + MAX_TOOLS + " tools.");
    }
    List<ClientTools.Definition> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    long bytes = 0;
    for (int i = 0; i < tools.size(); i++) {
      String at = param + "[" + i + "]";
      if (!(tools.getValue(i) instanceof JsonObject tool) || (tool.getValue("type") != null && !"function".equals(tool.getValue("type")))) {
        throw invalid(param, at + " must be a function tool: {\"type\": \"function\", \"name\": ..., \"parameters\": {...}}.");
      }
      JsonObject function = tool.getValue("function") instanceof JsonObject nested ? nested : tool;
      if (!(function.getValue("name") instanceof String name) || !NAME.matcher(name).matches()) {
        throw invalid(param, at + ": the name must match [A-Za-z0-9_-]{1,64}.");
      }
      if (!names.add(name)) {
        throw invalid(param, at + ": the name '" + name + "' is defined twice.");
      }
      Object description = function.getValue("description");
      if (description != null && (!(description instanceof String d) || d.length() > MAX_DESCRIPTION_CHARS)) {
        throw invalid(param, at + ": the description must be a string of at most " + MAX_DESCRIPTION_CHARS + " characters.");
      }
      Object parameters = function.getValue("parameters");
      JsonObject schema = parameters == null ? new JsonObject().put("type", "object").put("properties", new JsonObject())
          : parameters instanceof JsonObject p && (p.getValue("type") == null || "object".equals(p.getValue("type")))
              ? p.copy().put("type", "object") : null;
      if (schema == null) {
        throw invalid(param, at + ": the parameters must be a JSON Schema of type object.");
      }
      String encoded = schema.encode();
      bytes += encoded.length() + (description == null ? 0 : ((String) description).length());
      if (bytes > MAX_DEFINITIONS_CHARS) {
        throw new ApiException(413, "tools_too_long", "The tools' descriptions and parameters are longer than "
            + MAX_DEFINITIONS_CHARS + " characters in all.");
      }
      out.add(new ClientTools.Definition(name, description == null ? "" : (String) description, encoded));
    }
    return out;
  }

  /**
   * {@code tool_choice}: {@code auto} (the default), {@code none}, {@code required}, or one tool by name —
   * {@code {"type": "function", "function": {"name"}}} or {@code {"type": "function", "name"}}.
   */
  public static String choice(Object value, List<ClientTools.Definition> tools, String param) {
    if (value == null) {
      return ClientTools.AUTO;
    }
    if (value instanceof String s && (s.equals(ClientTools.AUTO) || s.equals(ClientTools.NONE) || s.equals(ClientTools.REQUIRED))) {
      return s;
    }
    if (value instanceof JsonObject o && "function".equals(o.getValue("type"))) {
      Object name = o.getValue("function") instanceof JsonObject f ? f.getValue("name") : o.getValue("name");
      if (name instanceof String n) {
        if (tools.stream().noneMatch(t -> t.name().equals(n))) {
          throw invalid(param, "'" + param + "' names '" + n + "', which is not among the tools.");
        }
        return n;
      }
    }
    throw invalid(param, "'" + param + "' must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"name\": ...}.");
  }

  /**
   * Tokenrail's own shape of the results a message brings: {@code [{"toolCallId", "result", "isError"}]},
   * {@code result} a string or any JSON value. At most {@link #MAX_RESULTS_BYTES} in all.
   */
  public static List<ClientTools.Result> results(Object value, String param) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray given) || given.size() > MAX_TOOLS) {
      throw invalid(param, "'" + param + "' must be an array of at most " + MAX_TOOLS + " results.");
    }
    List<ClientTools.Result> out = new ArrayList<>();
    for (int i = 0; i < given.size(); i++) {
      if (!(given.getValue(i) instanceof JsonObject r) || !(r.getValue("toolCallId") instanceof String id) || id.isBlank()
          || id.length() > 256 || !r.containsKey("result")
          || (r.getValue("isError") != null && !(r.getValue("isError") instanceof Boolean))) {
        throw invalid(param, param + "[" + i + "] must be {\"toolCallId\": ..., \"result\": ..., \"isError\": false}.");
      }
      out.add(new ClientTools.Result(id, "", resultText(r.getValue("result")), Boolean.TRUE.equals(r.getValue("isError"))));
    }
    return checkedSize(out, param);
  }

  /** The results a message brings, as long as they fit in one Kafka record with room to spare. */
  public static List<ClientTools.Result> checkedSize(List<ClientTools.Result> results, String param) {
    long bytes = results.stream().mapToLong(r -> r.content().getBytes(java.nio.charset.StandardCharsets.UTF_8).length).sum();
    if (bytes > MAX_RESULTS_BYTES) {
      throw new ApiException(413, "tool_results_too_long", "The tool results are longer than " + MAX_RESULTS_BYTES
          + " bytes in all.");
    }
    return results;
  }

  /** The tools' schemas and descriptions in all: with the results and the text, a record stays under Kafka's 1 MB. */
  public static final int MAX_DEFINITIONS_CHARS = 128 * 1024;

  /** Tool results a message may bring in all: a Kafka record stays well under its 1 MB default. */
  public static final int MAX_RESULTS_BYTES = 256 * 1024;

  /** A tool's result, as JSON text the model reads: a string as it is, anything else encoded. */
  public static String resultText(Object output) {
    if (output instanceof String s) {
      return s;
    }
    if (output instanceof JsonObject o) {
      return o.encode();
    }
    if (output instanceof JsonArray a) {
      return a.encode();
    }
    return String.valueOf(output);
  }

  private static ApiException invalid(String param, String message) {
    return new ApiException(400, "invalid_" + param, message);
  }
}
