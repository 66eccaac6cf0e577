package dev.tokenrail.gateway.aisdk;

import dev.tokenrail.gateway.delivery.EventFrame;
import dev.tokenrail.gateway.delivery.SseFrames;
import dev.tokenrail.gateway.delivery.StreamFormat;
import dev.tokenrail.protocol.StreamEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

/**
 * One message's answer as the AI SDK's UI message stream (protocol v1): SSE {@code data:} lines, one JSON
 * part each, ending with {@code data: [DONE]}. The SDK validates every part against a strict schema, so each
 * carries exactly the fields the schema names — nothing Tokenrail-specific rides along.
 *
 * <pre>
 * start      → start {messageId} + start-step (a continuation after the client's tool results: start
 *              {messageMetadata: {messageId}}, so the SDK adds to the message the page has)
 * reasoning  → reasoning-start {id} (before the first of a run) + reasoning-delta {id, delta} … reasoning-end
 * token      → text-start {id} (before the first of a run) + text-delta {id, delta}
 * tool_call of the client's tool → text-end + tool-input-start {toolCallId, toolName}
 *              + tool-input-delta {toolCallId, inputTextDelta} + tool-input-available {toolCallId, toolName, input}
 * tool_call  → text-end (if a text run is open) + tool-input-available {toolCallId, toolName, input, providerExecuted, dynamic}
 * tool_result→ tool-output-available {toolCallId, output, providerExecuted, dynamic}
 *              | tool-output-error {toolCallId, errorText, providerExecuted, dynamic}
 * usage      → message-metadata {messageMetadata: {usage}}
 * done       → text-end + finish-step + finish
 * cancelled  → text-end + abort
 * error      → error {errorText}
 * </pre>
 *
 * The workers' tools are not declared by the page, so their parts are {@code dynamic}: the SDK renders them as
 * {@code dynamic-tool} parts with the tool's name. They are {@code providerExecuted}: the server ran them, so
 * the page has nothing to run — without it a page using {@code sendAutomaticallyWhen:
 * lastAssistantMessageIsCompleteWithToolCalls} takes the finished call for one of its own and sends the
 * conversation again, and again, after every answer that used a tool. A new attempt (a worker took over) continues the stream if
 * none of the earlier attempt's text went out; once text did, it can't be taken back, and the stream ends
 * with an {@code error} part saying the answer restarted (the transcript has the whole new answer).
 */
final class UiMessageStream implements StreamFormat {

  /** The response header that tells the SDK which protocol the body speaks. */
  static final String PROTOCOL_HEADER = "x-vercel-ai-ui-message-stream";

  private final String messageId;
  /** The answer goes on from the client's tool results: it adds to the page's last assistant message. */
  private final boolean continuation;
  private int attempt = -1;
  private String openReasoning;
  private int reasoningRuns;
  private boolean startSent;
  private boolean textSent;
  private String openText;
  private int textRuns;
  private boolean finished;
  private HttpServerResponse response;
  private boolean headWritten;

  /** @param messageId the message whose answer this is (a resume replays it from its start) */
  UiMessageStream(String messageId) {
    this(messageId, false);
  }

  /**
   * @param continuation the message brings the results of the client's tools, which the page's last assistant
   *                     message called: the answer is that message's next step. Its {@code start} names no
   *                     message (the SDK then adds to the last one) and says which Tokenrail message this is
   *                     in its metadata, for a stop to name.
   */
  UiMessageStream(String messageId, boolean continuation) {
    this.messageId = messageId;
    this.continuation = continuation;
  }

  /** Nothing is written until the first event: until then the request can still be refused with a status. */
  @Override
  public void open(HttpServerResponse response) {
    this.response = response;
  }

  @Override
  public Buffer frame(EventFrame frame) {
    StreamEvent event = frame.event();
    if (finished || !messageId.equals(event.messageId())) {
      return null;
    }
    Buffer out = Buffer.buffer();
    if (event.attempt() != attempt) {
      if (attempt != -1 && textSent) {
        closeText(out);
        closeReasoning(out);
        part(out, new JsonObject().put("type", "error").put("errorText", "The worker answering this message failed "
            + "over and the answer restarted; reload the conversation to read it."));
        return end(out);
      }
      attempt = event.attempt();
      openText = null;
      openReasoning = null;
    }
    if (event instanceof StreamEvent.Start) {
      if (!startSent) {
        startSent = true;
        start(out);
      }
    } else if (event instanceof StreamEvent.Reasoning r) {
      closeText(out);
      if (openReasoning == null) {
        openReasoning = "reasoning-" + attempt + "-" + ++reasoningRuns;
        part(out, new JsonObject().put("type", "reasoning-start").put("id", openReasoning));
      }
      textSent = true;
      part(out, new JsonObject().put("type", "reasoning-delta").put("id", openReasoning).put("delta", r.text()));
    } else if (event instanceof StreamEvent.Token t) {
      closeReasoning(out);
      if (openText == null) {
        openText = "text-" + attempt + "-" + ++textRuns;
        part(out, new JsonObject().put("type", "text-start").put("id", openText));
      }
      textSent = true;
      part(out, new JsonObject().put("type", "text-delta").put("id", openText).put("delta", t.text()));
    } else if (event instanceof StreamEvent.ToolCall c && c.client()) { // the page runs it
      closeText(out);
      closeReasoning(out);
      textSent = true;
      part(out, new JsonObject().put("type", "tool-input-start").put("toolCallId", c.toolCallId()).put("toolName", c.name()));
      part(out, new JsonObject().put("type", "tool-input-delta").put("toolCallId", c.toolCallId())
          .put("inputTextDelta", c.arguments()));
      part(out, new JsonObject().put("type", "tool-input-available").put("toolCallId", c.toolCallId())
          .put("toolName", c.name()).put("input", parsedOrText(c.arguments())));
    } else if (event instanceof StreamEvent.ToolCall c) {
      closeText(out);
      closeReasoning(out);
      part(out, new JsonObject().put("type", "tool-input-available").put("toolCallId", c.toolCallId())
          .put("toolName", c.name()).put("input", parsedOrText(c.arguments())).put("providerExecuted", true)
          .put("dynamic", true));
    } else if (event instanceof StreamEvent.ToolResult r) {
      part(out, r.isError()
          ? new JsonObject().put("type", "tool-output-error").put("toolCallId", r.toolCallId())
              .put("errorText", r.result()).put("providerExecuted", true).put("dynamic", true)
          : new JsonObject().put("type", "tool-output-available").put("toolCallId", r.toolCallId())
              .put("output", parsedOrText(r.result())).put("providerExecuted", true).put("dynamic", true));
    } else if (event instanceof StreamEvent.Usage u) {
      part(out, new JsonObject().put("type", "message-metadata").put("messageMetadata", new JsonObject()
          .put("usage", new JsonObject().put("inputTokens", u.inputTokens()).put("outputTokens", u.outputTokens()))));
    } else if (event instanceof StreamEvent.Done) {
      closeText(out);
      closeReasoning(out);
      part(out, new JsonObject().put("type", "finish-step"));
      part(out, new JsonObject().put("type", "finish"));
      return end(out);
    } else if (event instanceof StreamEvent.Cancelled) {
      closeText(out);
      closeReasoning(out);
      part(out, new JsonObject().put("type", "abort"));
      return end(out);
    } else if (event instanceof StreamEvent.Error e) {
      closeText(out);
      closeReasoning(out);
      part(out, new JsonObject().put("type", "error").put("errorText", e.message()));
      return end(out);
    }
    if (out.length() == 0) {
      return null;
    }
    head();
    return out;
  }

  /**
   * The answer's {@code start} now, before any worker has taken the message: the page learns the message's id
   * at once (its stop can name it) and keep-alives flow while the message waits its turn. Null when the
   * worker's {@code start} was written already. Call on the response's context, as frames are.
   */
  Buffer announce() {
    if (startSent || finished) {
      return null; // the worker's start came first
    }
    startSent = true;
    Buffer out = Buffer.buffer();
    start(out);
    head();
    return out;
  }

  private void start(Buffer out) {
    part(out, continuation
        ? new JsonObject().put("type", "start").put("messageMetadata", new JsonObject().put("messageId", messageId))
        : new JsonObject().put("type", "start").put("messageId", messageId));
    part(out, new JsonObject().put("type", "start-step"));
  }

  @Override
  public boolean finished() {
    return finished;
  }

  @Override
  public Buffer ping() {
    return headWritten ? SseFrames.ping() : null; // a comment: the SDK's parser skips it
  }

  /** The protocol has no way to say events were lost to retention; the stream goes on without a word. */
  @Override
  public Buffer reset(String conversationId, String reason) {
    return null;
  }

  private void closeText(Buffer out) {
    if (openText != null) {
      part(out, new JsonObject().put("type", "text-end").put("id", openText));
      openText = null;
    }
  }

  private void closeReasoning(Buffer out) {
    if (openReasoning != null) {
      part(out, new JsonObject().put("type", "reasoning-end").put("id", openReasoning));
      openReasoning = null;
    }
  }

  private Buffer end(Buffer out) {
    finished = true;
    head();
    return out.appendString("data: [DONE]\n\n");
  }

  private void head() {
    if (!headWritten) {
      headWritten = true;
      SseFrames.startEventStream(response).putHeader(PROTOCOL_HEADER, "v1");
    }
  }

  private static void part(Buffer out, JsonObject part) {
    out.appendString("data: ").appendBuffer(part.toBuffer()).appendString("\n\n");
  }

  /** Tool arguments and results are JSON text as the model and tool made them; the SDK takes them as values. */
  private static Object parsedOrText(String json) {
    if (json == null) {
      return null;
    }
    try {
      return Json.decodeValue(json);
    } catch (DecodeException e) {
      return json;
    }
  }
}
