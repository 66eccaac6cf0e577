package dev.tokenrail.gateway.openai;

import dev.tokenrail.gateway.delivery.EventFrame;
import dev.tokenrail.gateway.delivery.SseFrames;
import dev.tokenrail.gateway.delivery.StreamFormat;
import dev.tokenrail.protocol.StreamEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * One response's events in the Responses API's streaming shape — {@code response.created},
 * {@code response.in_progress}, {@code response.output_item.added}, {@code response.content_part.added},
 * {@code response.output_text.delta} …, the {@code .done} events, and {@code response.completed},
 * {@code response.failed} or {@code response.incomplete} (cancelled) — or, not streaming, the response
 * object once the answer has ended.
 *
 * <p>Every event's {@code sequence_number} is counted from the answer's first event in the log, so reading
 * the stream again — on any gateway, any time the log still has that first event — gives every event the same
 * number; {@code starting_after} skips those up to it. That is why a stream always reads the answer from its
 * start, and why one whose start retention removed ends with {@code events_expired} instead.
 * The workers' own (server-side) tool calls are {@code function_call} output items, added when the model
 * calls and done, with their result, when the tool has run; the message item is added at the first text.
 */
final class ResponsesFormat implements StreamFormat {

  private final ResponseIds ids;
  private final ResponseObject response;
  private final boolean stream;
  private final long startingAfter;
  private long nextSequence;
  private int attempt = -1;
  private boolean textSent;
  private final StringBuilder text = new StringBuilder();
  private boolean finished;
  private HttpServerResponse http;
  private boolean headWritten;

  private final boolean replay;

  /**
   * @param startingAfter the last sequence number the client has; -1 for all
   * @param replay        a GET of the stream: its head goes out at once (nothing can be refused any more), so a
   *                      client waiting for a queued response, or beyond the last event, gets headers and pings
   */
  ResponsesFormat(ResponseIds ids, ResponseObject response, boolean stream, long startingAfter, boolean replay) {
    this.ids = ids;
    this.response = response;
    this.stream = stream;
    this.startingAfter = startingAfter;
    this.replay = replay;
  }

  @Override
  public void open(HttpServerResponse response) {
    this.http = response;
    if (stream && replay) {
      headWritten = true;
      SseFrames.startEventStream(response);
    }
  }

  @Override
  public Buffer frame(EventFrame frame) {
    StreamEvent event = frame.event();
    if (finished || !ids.messageId().equals(event.messageId())) {
      return null;
    }
    Buffer out = Buffer.buffer();
    if (event.attempt() != attempt) {
      if (attempt != -1 && textSent) { // a worker failed over after text went out: it can't be taken back
        response.status("failed").error("answer_restarted", "The worker answering this response failed over and the "
            + "answer restarted; retrieve the response for the whole new answer.");
        emit(out, "response.failed", new JsonObject().put("response", response.toJson()));
        return end(out);
      }
      attempt = event.attempt();
      text.setLength(0);
      // What an attempt that showed nothing built goes with it: its calls (a function_call the client would
      // run, whose output would then answer nothing) and its place for the message.
      arguments.clear();
      clientCalls = 0;
      messageOpen = false;
      messageClosed = false;
      response.restartOutput();
      if (event instanceof StreamEvent.Start && nextSequence == 0) {
        response.status("in_progress");
        emit(out, "response.created", new JsonObject().put("response", response.toJson()));
        emit(out, "response.in_progress", new JsonObject().put("response", response.toJson()));
      }
    }
    if (event instanceof StreamEvent.ToolCall c && c.client()) {
      clientCall(out, c);
    } else if (event instanceof StreamEvent.ToolCall c) {
      arguments.put(c.toolCallId(), c.arguments());
      JsonObject item = ResponseObject.workerToolItem(c.toolCallId(), c.name(), c.arguments(), null, false);
      emit(out, "response.output_item.added", new JsonObject().put("output_index", response.tool(item)).put("item", item));
    } else if (event instanceof StreamEvent.ToolResult r) {
      JsonObject item = ResponseObject.workerToolItem(r.toolCallId(), r.name(), argumentsOf(r.toolCallId()), r.result(),
          r.isError());
      emit(out, "response.output_item.done", new JsonObject().put("output_index", response.tool(item)).put("item", item));
    } else if (event instanceof StreamEvent.Token t) {
      openMessage(out);
      text.append(t.text());
      textSent = stream; // an answer not streamed has shown nothing: a new attempt may replace it
      emit(out, "response.output_text.delta", part(null).put("delta", t.text()).put("logprobs", new io.vertx.core.json.JsonArray()));
    } else if (event instanceof StreamEvent.Usage u) {
      response.usage(u.inputTokens(), u.outputTokens());
    } else if (event instanceof StreamEvent.Done) {
      if (clientCalls == 0 || messageOpen) { // an answer that is only the client's calls has no message
        closeItem(out);
        response.text(text.toString());
      }
      response.status("completed");
      emit(out, "response.completed", new JsonObject().put("response", response.toJson()));
      return end(out);
    } else if (event instanceof StreamEvent.Cancelled) {
      closeItem(out);
      response.status("cancelled").text(text.toString());
      emit(out, "response.incomplete", new JsonObject().put("response", response.toJson()));
      return end(out);
    } else if (event instanceof StreamEvent.Error e) {
      response.status("failed").text(text.toString()).error(e.code().wireName(), e.message());
      emit(out, "response.failed", new JsonObject().put("response", response.toJson()));
      return end(out);
    }
    return written(out);
  }

  private final java.util.Map<String, String> arguments = new java.util.HashMap<>();

  /**
   * A call of the client's tool, as OpenAI streams one: the {@code function_call} item added with no arguments,
   * its arguments (whole: the worker publishes a call once the model has finished it), their end, the item done.
   */
  private void clientCall(Buffer out, StreamEvent.ToolCall c) {
    clientCalls++;
    textSent = stream; // a call the client may be running can't be taken back by a new attempt
    if (messageOpen) { // the model's words before its calls: their item ends first
      closeItem(out);
    }
    JsonObject added = ResponseObject.clientToolItem(c.toolCallId(), c.name(), "", "in_progress");
    int index = response.tool(added);
    String itemId = added.getString("id");
    emit(out, "response.output_item.added", new JsonObject().put("output_index", index).put("item", added));
    emit(out, "response.function_call_arguments.delta", new JsonObject().put("item_id", itemId).put("output_index", index)
        .put("delta", c.arguments()));
    emit(out, "response.function_call_arguments.done", new JsonObject().put("item_id", itemId).put("output_index", index)
        .put("name", c.name()).put("arguments", c.arguments()));
    JsonObject done = ResponseObject.clientToolItem(c.toolCallId(), c.name(), c.arguments(), "completed");
    response.tool(done);
    emit(out, "response.output_item.done", new JsonObject().put("output_index", index).put("item", done));
  }

  private String argumentsOf(String toolCallId) {
    return arguments.get(toolCallId);
  }

  private boolean messageOpen;
  private boolean messageClosed;
  private int clientCalls;

  /** The message item and its text part, before the first text (or at the end of an answer with none). */
  private void openMessage(Buffer out) {
    if (!messageOpen) {
      messageOpen = true;
      int index = response.messageIndex();
      emit(out, "response.output_item.added", new JsonObject().put("output_index", index)
          .put("item", response.messageItem("in_progress", null)));
      emit(out, "response.content_part.added", part(ResponseObject.textPart("")));
    }
  }

  private void closeItem(Buffer out) {
    if (messageClosed) {
      return;
    }
    messageClosed = true;
    openMessage(out);
    String whole = text.toString();
    emit(out, "response.output_text.done", part(null).put("text", whole).put("logprobs", new io.vertx.core.json.JsonArray()));
    emit(out, "response.content_part.done", part(ResponseObject.textPart(whole)));
    emit(out, "response.output_item.done", new JsonObject().put("output_index", response.messageIndex())
        .put("item", response.messageItem("completed", whole)));
  }

  private JsonObject part(JsonObject part) {
    JsonObject event = new JsonObject().put("item_id", ids.messageItemId()).put("output_index", response.messageIndex())
        .put("content_index", 0);
    return part == null ? event : event.put("part", part);
  }

  /** Numbers the event whether or not it is written: the numbers are the log's, not this stream's. */
  private void emit(Buffer out, String type, JsonObject event) {
    long sequence = nextSequence++;
    if (!stream || sequence <= startingAfter) {
      return;
    }
    event.put("type", type).put("sequence_number", sequence);
    out.appendString("event: ").appendString(type).appendString("\ndata: ").appendBuffer(event.toBuffer())
        .appendString("\n\n");
  }

  private Buffer end(Buffer out) {
    finished = true;
    if (stream && out.length() == 0) {
      out.appendString(": end\n\n"); // everything was at or before starting_after: end the stream all the same
    }
    if (!stream) {
      Buffer body = response.toJson().toBuffer();
      http.setStatusCode(200).putHeader("Content-Type", "application/json")
          .putHeader("Content-Length", Integer.toString(body.length()));
      headWritten = true;
      return body;
    }
    return written(out);
  }

  private Buffer written(Buffer out) {
    if (out.length() == 0) {
      return null;
    }
    if (!headWritten) {
      headWritten = true;
      SseFrames.startEventStream(http);
    }
    return out;
  }

  @Override
  public boolean finished() {
    return finished;
  }

  @Override
  public Buffer ping() {
    return stream && headWritten ? SseFrames.ping() : null;
  }

  /**
   * Retention removed the response's first events: what is left can't be numbered as before (the numbers count
   * from the first event), so the stream ends with an {@code error} event rather than renumber silently.
   */
  @Override
  public Buffer reset(String conversationId, String reason) {
    if (!stream || finished) {
      return null;
    }
    finished = true;
    JsonObject error = new JsonObject().put("type", "error").put("code", "events_expired")
        .put("message", "The start of this response's events is no longer retained; retrieve the response instead.")
        .putNull("param").put("sequence_number", Math.max(0, startingAfter + 1));
    return written(Buffer.buffer("event: error\ndata: ").appendBuffer(error.toBuffer()).appendString("\n\n"));
  }
}
