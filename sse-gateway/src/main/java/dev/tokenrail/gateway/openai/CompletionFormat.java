package dev.tokenrail.gateway.openai;

import dev.tokenrail.gateway.delivery.EventFrame;
import dev.tokenrail.gateway.http.ApiErrors;
import dev.tokenrail.gateway.delivery.SseFrames;
import dev.tokenrail.gateway.delivery.StreamFormat;
import dev.tokenrail.protocol.StreamEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * One message's answer in OpenAI's chat-completion wire format: {@code chat.completion.chunk} frames,
 * each with the SSE {@code id:} of the event it came from (so {@code Last-Event-ID} resumes it), ending
 * with {@code data: [DONE]} — or, not streaming, one {@code chat.completion} body once the answer is done.
 *
 * <p>The workers' own (server-side) tools' calls and results are not written: the text the model answered
 * after them is. Calls of tools the client defined are: as {@code delta.tool_calls} (the call's id and name,
 * then its arguments) and {@code finish_reason: "tool_calls"}, or the message's {@code tool_calls}. The
 * model's thinking goes out as {@code delta.reasoning_content}, the field most OpenAI-compatible clients
 * read, never as content. A new attempt (a worker took over) replaces the earlier one if nothing
 * of it was sent yet; once text was streamed it can't be taken back, so the stream ends with an error
 * saying so (the whole answer is in the conversation's transcript and native stream).
 */
final class CompletionFormat implements StreamFormat {

  private final boolean stream;
  private final boolean includeUsage;
  private final String model;
  private final long created = System.currentTimeMillis() / 1000;
  /** The message whose answer this is; null on a resume until its first event names it. */
  private String messageId;
  private int attempt = -1;
  /** Text of the current attempt has reached the client, so a new attempt can't silently replace it. */
  private boolean textSent;
  /** Resuming after the client's Last-Event-ID: it has had chunks this format never saw. */
  private final boolean resumed;
  private final StringBuilder text = new StringBuilder();
  private final StringBuilder reasoning = new StringBuilder();
  /** The client-tool calls of the current attempt, in OpenAI's shape; their index is their place here. */
  private final JsonArray clientCalls = new JsonArray();
  private JsonObject usage;
  private boolean finished;
  private HttpServerResponse response;
  private boolean headWritten;

  /** @param messageId the message answered, or null for a resume: the first event after the client's id names it */
  CompletionFormat(String messageId, boolean stream, boolean includeUsage, String model) {
    this.messageId = messageId;
    this.resumed = messageId == null;
    this.stream = stream;
    this.includeUsage = includeUsage;
    this.model = model;
  }

  /** Nothing is written until the first event: until then the request can still be refused with a status. */
  @Override
  public void open(HttpServerResponse response) {
    this.response = response;
  }

  @Override
  public Buffer frame(EventFrame frame) {
    StreamEvent event = frame.event();
    if (finished || messageId != null && !messageId.equals(event.messageId())) {
      return null;
    }
    messageId = event.messageId();
    String id = frame.id();
    Buffer out = Buffer.buffer();
    // A later attempt than the one streamed, or — on a resume — a retry's start right after the client's
    // last chunk: the text the client has can't be taken back.
    boolean restarted = attempt == -1 ? resumed && event instanceof StreamEvent.Start && event.attempt() > 1
        : event.attempt() != attempt && textSent;
    if (event.attempt() != attempt) {
      if (restarted) {
        finished = true;
        streamHeaders();
        return data(id, new JsonObject().put("error", ApiErrors.openAiError(503, "answer_restarted",
            "The worker answering this message failed over and the answer restarted; ask again, or read the "
                + "conversation's transcript."))).appendString("data: [DONE]\n\n");
      }
      attempt = event.attempt();
      text.setLength(0);
      reasoning.setLength(0);
      clientCalls.clear();
      usage = null;
    }
    if (event instanceof StreamEvent.Start && stream) {
      out.appendBuffer(data(id, chunk(new JsonObject().put("role", "assistant").put("content", ""), null)));
    } else if (event instanceof StreamEvent.Token t) {
      text.append(t.text());
      if (stream) {
        textSent = true;
        out.appendBuffer(data(id, chunk(new JsonObject().put("content", t.text()), null)));
      }
    } else if (event instanceof StreamEvent.Reasoning r) {
      reasoning.append(r.text());
      if (stream) {
        textSent = true;
        out.appendBuffer(data(id, chunk(new JsonObject().put("reasoning_content", r.text()), null)));
      }
    } else if (event instanceof StreamEvent.ToolCall c && c.client()) {
      int index = clientCalls.size();
      clientCalls.add(new JsonObject().put("id", c.toolCallId()).put("type", "function")
          .put("function", new JsonObject().put("name", c.name()).put("arguments", c.arguments())));
      if (stream) { // as OpenAI streams a call: its id and name first, then the arguments in pieces
        textSent = true;
        out.appendBuffer(data(id, chunk(new JsonObject().put("tool_calls", new JsonArray().add(new JsonObject()
            .put("index", index).put("id", c.toolCallId()).put("type", "function")
            .put("function", new JsonObject().put("name", c.name()).put("arguments", "")))), null)));
        for (String piece : pieces(c.arguments())) {
          out.appendBuffer(data(id, chunk(new JsonObject().put("tool_calls", new JsonArray().add(new JsonObject()
              .put("index", index).put("function", new JsonObject().put("arguments", piece)))), null)));
        }
      }
    } else if (event instanceof StreamEvent.Usage u) {
      usage = new JsonObject().put("prompt_tokens", u.inputTokens()).put("completion_tokens", u.outputTokens())
          .put("total_tokens", u.inputTokens() + u.outputTokens());
    } else if (event instanceof StreamEvent.Done d) {
      out.appendBuffer(end(id, finishReason(d.finishReason())));
    } else if (event instanceof StreamEvent.Cancelled) {
      out.appendBuffer(end(id, "stop"));
    } else if (event instanceof StreamEvent.Error e) {
      out.appendBuffer(error(id, e));
    } // the workers' own tools' calls and results: not written
    if (out.length() == 0) {
      return null;
    }
    streamHeaders();
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

  @Override
  public Buffer reset(String conversationId, String reason) {
    if (!stream) {
      return null;
    }
    streamHeaders();
    return Buffer.buffer(": reset: " + reason.replace('\n', ' ') + "\n\n");
  }

  private Buffer end(String id, String finishReason) {
    finished = true;
    if (!stream) {
      JsonObject message = new JsonObject().put("role", "assistant")
          .put("content", text.isEmpty() && !clientCalls.isEmpty() ? null : text.toString()).putNull("refusal");
      if (!clientCalls.isEmpty()) {
        message.put("tool_calls", clientCalls.copy());
      }
      if (!reasoning.isEmpty()) {
        message.put("reasoning_content", reasoning.toString());
      }
      JsonObject body = new JsonObject().put("id", completionId()).put("object", "chat.completion")
          .put("created", created).put("model", model)
          .put("choices", new JsonArray().add(new JsonObject().put("index", 0)
              .put("message", message).putNull("logprobs").put("finish_reason", finishReason)))
          .put("usage", usageOrZero());
      return json(200, body);
    }
    Buffer out = data(id, chunk(new JsonObject(), finishReason));
    if (includeUsage) {
      out.appendBuffer(data(null, chunkBase().put("choices", new JsonArray()).put("usage", usageOrZero())));
    }
    return out.appendString("data: [DONE]\n\n");
  }

  /** The provider's count; zeros when it gave none (the demo model and some local servers). */
  private JsonObject usageOrZero() {
    return usage != null ? usage
        : new JsonObject().put("prompt_tokens", 0).put("completion_tokens", 0).put("total_tokens", 0);
  }

  private Buffer error(String id, StreamEvent.Error e) {
    finished = true;
    int status = switch (e.code()) {
      case RATE_LIMITED -> 429;
      case TIMEOUT -> 504;
      case INVALID_REQUEST -> 400;
      case MODEL_UNAVAILABLE -> 503;
      default -> 500;
    };
    JsonObject error = new JsonObject().put("error", ApiErrors.openAiError(status, e.code().wireName(), e.message()));
    return stream ? data(id, error).appendString("data: [DONE]\n\n") : json(status, error);
  }

  private Buffer json(int status, JsonObject body) {
    Buffer bytes = body.toBuffer();
    response.setStatusCode(status).putHeader("Content-Type", "application/json")
        .putHeader("Content-Length", Integer.toString(bytes.length()));
    headWritten = true;
    return bytes;
  }

  /** The streaming response's headers, set once, before its first bytes (a body sets its own in {@link #json}). */
  private void streamHeaders() {
    if (stream && !headWritten) {
      headWritten = true;
      SseFrames.startEventStream(response);
    }
  }

  private JsonObject chunk(JsonObject delta, String finishReason) {
    return chunkBase().put("choices", new JsonArray().add(new JsonObject().put("index", 0).put("delta", delta)
        .putNull("logprobs").put("finish_reason", finishReason)));
  }

  private JsonObject chunkBase() {
    JsonObject chunk = new JsonObject().put("id", completionId()).put("object", "chat.completion.chunk")
        .put("created", created).put("model", model).putNull("system_fingerprint");
    if (includeUsage) {
      chunk.putNull("usage");
    }
    return chunk;
  }

  private String completionId() {
    return "chatcmpl-" + messageId;
  }

  private static Buffer data(String id, JsonObject json) {
    Buffer frame = Buffer.buffer();
    if (id != null) {
      frame.appendString("id: ").appendString(id).appendString("\n");
    }
    return frame.appendString("data: ").appendBuffer(json.toBuffer()).appendString("\n\n");
  }

  /**
   * A call's arguments in pieces of at most {@value #ARGUMENT_PIECE} characters, never splitting a surrogate
   * pair: the worker publishes a call once the model has finished it, and OpenAI's clients put the pieces
   * together as they do a provider's.
   */
  static List<String> pieces(String arguments) {
    List<String> pieces = new ArrayList<>();
    int at = 0;
    while (at < arguments.length()) {
      int end = Math.min(arguments.length(), at + ARGUMENT_PIECE);
      if (end < arguments.length() && Character.isHighSurrogate(arguments.charAt(end - 1))) {
        end--;
      }
      pieces.add(arguments.substring(at, end));
      at = end;
    }
    return pieces.isEmpty() ? List.of("") : pieces;
  }

  private static final int ARGUMENT_PIECE = 24;

  private static String finishReason(String reason) {
    return switch (reason == null ? "" : reason) {
      case "length", "content_filter", "tool_calls" -> reason;
      default -> "stop";
    };
  }
}
