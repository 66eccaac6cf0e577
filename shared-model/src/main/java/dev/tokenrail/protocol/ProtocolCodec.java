package dev.tokenrail.protocol;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The one JSON codec of protocol v1, for requests and events. Decoding validates: anything that is not a
 * well-formed v1 record throws {@link ProtocolException} saying what is wrong, never a
 * {@code NullPointerException} or {@code ClassCastException}.
 *
 * <p>Every record type's encoding and its validating decoding sit side by side: one place to read the whole wire
 * format and to change it. Typed field access, with its errors, is {@link Fields}.
 */
public final class ProtocolCodec {

  private static final String REQUEST_TYPE_MESSAGE = "message";

  private ProtocolCodec() {
  }

  // ---- requests ----

  public static Buffer encode(RequestRecord record) {
    JsonObject json = new JsonObject()
        .put("conversationId", record.conversationId())
        .put("messageId", record.messageId());
    if (record instanceof MessageRequest m) {
      json.put("type", "message").put("text", m.text()).put("ts", m.ts());
      m.completion().ifPresent(c -> json.put("completion", encode(c)));
      if (!m.tools().isAbsent()) {
        json.put("clientTools", encode(m.tools()));
      }
    } else if (record instanceof RequestRecord.Cancel c) {
      json.put("type", "cancel").put("ts", c.ts());
    } else if (record instanceof RequestRecord.Started s) {
      json.put("type", "started").put("attempt", s.attempt()).put("ts", s.ts());
    } else if (record instanceof RequestRecord.Ended e) {
      json.put("type", "ended").put("attempt", e.attempt()).put("outcome", e.outcome()).put("ts", e.ts());
    } else if (record instanceof RequestRecord.Delete d) {
      json.put("type", "delete").put("messageIds", new JsonArray(new ArrayList<Object>(d.messageIds()))).put("ts", d.ts());
    }
    return json.toBuffer();
  }

  public static RequestRecord decodeRequest(Buffer value) {
    Fields f = Fields.parse(value);
    String type = f.string("type");
    String c = f.string("conversationId");
    String m = f.string("messageId");
    return switch (type) {
      case "message" -> new MessageRequest(c, m, f.string("text"), f.longValue("ts"), f.optionalObject("completion")
          .map(ProtocolCodec::decodeCompletion), f.optionalObject("clientTools").map(ProtocolCodec::decodeClientTools)
          .orElse(ClientTools.ABSENT));
      case "cancel" -> new RequestRecord.Cancel(c, m, f.longValue("ts"));
      case "started" -> new RequestRecord.Started(c, m, f.intValue("attempt"), f.longValue("ts"));
      case "ended" -> new RequestRecord.Ended(c, m, f.intValue("attempt"), f.string("outcome"), f.longValue("ts"));
      case "delete" -> new RequestRecord.Delete(c, messageIds(f.array("messageIds")), f.longValue("ts"));
      default -> throw new ProtocolException("unknown request type '" + type + "'");
    };
  }

  private static List<String> messageIds(JsonArray ids) {
    List<String> out = new ArrayList<>();
    for (Object id : ids) {
      if (!(id instanceof String s) || ConversationIds.acceptedAt(s).isEmpty()) {
        throw new ProtocolException("field 'messageIds' must hold message ids");
      }
      out.add(s);
    }
    return out;
  }

  private static JsonObject encode(CompletionOptions c) {
    JsonArray history = new JsonArray();
    for (CompletionOptions.Prior p : c.history()) {
      JsonObject prior = new JsonObject().put("role", p.role()).put("content", p.content());
      if (!p.toolCalls().isEmpty()) {
        JsonArray calls = new JsonArray();
        p.toolCalls().forEach(t -> calls.add(new JsonObject().put("id", t.id()).put("name", t.name())
            .put("arguments", t.arguments())));
        prior.put("toolCalls", calls);
      }
      if (p.toolCallId() != null) {
        prior.put("toolCallId", p.toolCallId());
      }
      history.add(prior);
    }
    JsonObject json = new JsonObject().put("history", history);
    c.temperature().ifPresent(t -> json.put("temperature", t));
    c.maxTokens().ifPresent(n -> json.put("maxTokens", n));
    return json;
  }

  /** Absent from the record when the message brings none: records written before client tools read the same. */
  private static JsonObject encode(ClientTools t) {
    JsonArray definitions = new JsonArray();
    t.definitions().forEach(d -> definitions.add(new JsonObject().put("name", d.name()).put("description", d.description())
        .put("parameters", d.parameters())));
    JsonArray results = new JsonArray();
    t.results().forEach(r -> results.add(new JsonObject().put("toolCallId", r.toolCallId()).put("name", r.name())
        .put("content", r.content()).put("isError", r.isError())));
    return new JsonObject().put("definitions", definitions).put("choice", t.choice()).put("results", results);
  }

  private static ClientTools decodeClientTools(JsonObject json) {
    Fields f = new Fields(json);
    List<ClientTools.Definition> definitions = new ArrayList<>();
    for (Object o : f.array("definitions")) {
      if (!(o instanceof JsonObject d)) {
        throw new ProtocolException("field 'definitions' must hold objects");
      }
      Fields t = new Fields(d);
      definitions.add(new ClientTools.Definition(t.string("name"), t.string("description"), t.string("parameters")));
    }
    List<ClientTools.Result> results = new ArrayList<>();
    for (Object o : f.array("results")) {
      if (!(o instanceof JsonObject r)) {
        throw new ProtocolException("field 'results' must hold objects");
      }
      Fields t = new Fields(r);
      results.add(new ClientTools.Result(t.string("toolCallId"), t.string("name"), t.string("content"), t.bool("isError")));
    }
    return new ClientTools(definitions, f.string("choice"), results);
  }

  private static CompletionOptions decodeCompletion(JsonObject json) {
    Fields f = new Fields(json);
    List<CompletionOptions.Prior> history = new ArrayList<>();
    for (Object o : f.array("history")) {
      if (!(o instanceof JsonObject prior)) {
        throw new ProtocolException("field 'history' must hold objects");
      }
      Fields p = new Fields(prior);
      List<CompletionOptions.ToolCallRef> calls = new ArrayList<>();
      for (Object call : p.optionalArray("toolCalls")) {
        if (!(call instanceof JsonObject c)) {
          throw new ProtocolException("field 'toolCalls' must hold objects");
        }
        Fields t = new Fields(c);
        calls.add(new CompletionOptions.ToolCallRef(t.string("id"), t.string("name"), t.string("arguments")));
      }
      try {
        history.add(new CompletionOptions.Prior(p.string("role"), p.string("content"), calls,
            prior.getValue("toolCallId") == null ? null : p.string("toolCallId")));
      } catch (IllegalArgumentException e) {
        throw new ProtocolException(e.getMessage());
      }
    }
    Object temperature = json.getValue("temperature");
    Object maxTokens = json.getValue("maxTokens");
    if (temperature != null && !(temperature instanceof Number) || maxTokens != null && !(maxTokens instanceof Number)) {
      throw new ProtocolException("'temperature' and 'maxTokens' must be numbers");
    }
    return new CompletionOptions(history,
        java.util.Optional.ofNullable(temperature).map(t -> ((Number) t).doubleValue()),
        java.util.Optional.ofNullable(maxTokens).map(n -> ((Number) n).intValue()));
  }

  // ---- conversation starts (compacted topic) ----

  /** When a conversation started: the time its first message was accepted, epoch millis. */
  public static Buffer encodeConversationStart(long startedAt) {
    return new JsonObject().put("startedAt", startedAt).toBuffer();
  }

  public static long decodeConversationStart(Buffer value) {
    return Fields.parse(value).longValue("startedAt");
  }

  // ---- memory (compacted topic) ----

  public static Buffer encode(Turn turn) {
    JsonArray calls = new JsonArray();
    for (Turn.ToolUse t : turn.toolCalls()) {
      JsonObject call = new JsonObject().put("toolCallId", t.toolCallId()).put("name", t.name())
          .put("arguments", t.arguments()).put("result", t.result()).put("isError", t.isError()).put("round", t.round());
      if (t.client()) {
        call.put("client", true);
      }
      calls.add(call);
    }
    return new JsonObject()
        .put("conversationId", turn.conversationId())
        .put("messageId", turn.messageId())
        .put("requestOffset", turn.requestOffset())
        .put("userText", turn.userText())
        .put("status", turn.status().wireName())
        .put("answer", turn.answer())
        .put("toolCalls", calls)
        .put("attempt", turn.attempt())
        .put("ts", turn.ts())
        .toBuffer();
  }

  public static Turn decodeTurn(Buffer value) {
    Fields f = Fields.parse(value);
    String status = f.string("status");
    List<Turn.ToolUse> calls = new ArrayList<>();
    for (Object o : f.array("toolCalls")) {
      if (!(o instanceof JsonObject call)) {
        throw new ProtocolException("field 'toolCalls' must hold objects");
      }
      Fields c = new Fields(call);
      calls.add(new Turn.ToolUse(c.string("toolCallId"), c.string("name"), c.string("arguments"), c.string("result"),
          c.bool("isError"), c.intValue("round"), c.optionalBool("client")));
    }
    return new Turn(f.string("conversationId"), f.string("messageId"), f.longValue("requestOffset"), f.string("userText"),
        Turn.Status.fromWireName(status).orElseThrow(() -> new ProtocolException("unknown turn status '" + status + "'")),
        f.string("answer"), calls, f.intValue("attempt"), f.longValue("ts"));
  }

  // ---- events ----

  public static Buffer encode(StreamEvent event) {
    JsonObject json = new JsonObject()
        .put("type", event.type().wireName())
        .put("conversationId", event.conversationId())
        .put("messageId", event.messageId())
        .put("attempt", event.attempt())
        .put("seq", event.seq())
        .put("ts", event.ts());
    if (event instanceof StreamEvent.Start e) {
      json.put("model", e.model());
    } else if (event instanceof StreamEvent.Token e) {
      json.put("text", e.text());
    } else if (event instanceof StreamEvent.Tokens e) {
      json.put("texts", new JsonArray(new ArrayList<Object>(e.texts())));
    } else if (event instanceof StreamEvent.Reasoning e) {
      json.put("text", e.text());
    } else if (event instanceof StreamEvent.ToolCall e) {
      json.put("toolCallId", e.toolCallId()).put("name", e.name()).put("arguments", e.arguments());
      if (e.client()) {
        json.put("client", true); // absent for the worker's own tools, as before client tools existed
      }
    } else if (event instanceof StreamEvent.ToolResult e) {
      json.put("toolCallId", e.toolCallId()).put("name", e.name()).put("result", e.result())
          .put("isError", e.isError());
    } else if (event instanceof StreamEvent.Usage e) {
      json.put("inputTokens", e.inputTokens()).put("outputTokens", e.outputTokens());
    } else if (event instanceof StreamEvent.Done e) {
      json.put("text", e.text()).put("finishReason", e.finishReason());
    } else if (event instanceof StreamEvent.Error e) {
      json.put("code", e.code().wireName()).put("message", e.message());
    } else if (event instanceof StreamEvent.Reset e) {
      json.put("reason", e.reason());
    }
    return json.toBuffer();
  }

  /**
   * Decodes an event. Read with a streaming parser into its scalar fields — no intermediate map: gateways
   * decode every event they relay, so this is on the hot path of every token.
   */
  public static StreamEvent decodeEvent(Buffer value) {
    Fields f = Fields.parseFlat(value);
    String typeName = f.string("type");
    EventType type = EventType.fromWireName(typeName)
        .orElseThrow(() -> new ProtocolException("unknown event type '" + typeName + "'"));
    String c = f.string("conversationId");
    String m = f.string("messageId");
    int a = f.intValue("attempt");
    long s = f.longValue("seq");
    long ts = f.longValue("ts");
    return switch (type) {
      case START -> new StreamEvent.Start(c, m, a, s, ts, f.string("model"));
      case TOKEN -> new StreamEvent.Token(c, m, a, s, ts, f.string("text"));
      case TOKENS -> {
        List<String> texts = f.strings("texts");
        if (texts.isEmpty() || texts.size() > StreamEvent.Tokens.MAX_TOKENS) {
          throw new ProtocolException("field 'texts' must hold 1 to " + StreamEvent.Tokens.MAX_TOKENS + " tokens");
        }
        yield new StreamEvent.Tokens(c, m, a, s, ts, texts);
      }
      case REASONING -> new StreamEvent.Reasoning(c, m, a, s, ts, f.string("text"));
      case TOOL_CALL -> new StreamEvent.ToolCall(c, m, a, s, ts,
          f.string("toolCallId"), f.string("name"), f.string("arguments"), f.optionalBool("client"));
      case TOOL_RESULT -> new StreamEvent.ToolResult(c, m, a, s, ts,
          f.string("toolCallId"), f.string("name"), f.string("result"), f.bool("isError"));
      case USAGE -> new StreamEvent.Usage(c, m, a, s, ts, f.longValue("inputTokens"), f.longValue("outputTokens"));
      case DONE -> new StreamEvent.Done(c, m, a, s, ts, f.string("text"), f.string("finishReason"));
      case ERROR -> {
        String code = f.string("code");
        yield new StreamEvent.Error(c, m, a, s, ts,
            ErrorCode.fromWireName(code).orElseThrow(() -> new ProtocolException("unknown error code '" + code + "'")),
            f.string("message"));
      }
      case CANCELLED -> new StreamEvent.Cancelled(c, m, a, s, ts);
      case RESET -> new StreamEvent.Reset(c, m, a, s, ts, f.string("reason"));
    };
  }
}
