package dev.tokenrail.e2e;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * An OpenAI-compatible chat completions server written for the tests: it streams
 * {@code chat.completion.chunk} frames, one per token, then a usage chunk and {@code [DONE]} — what
 * OpenAI, vLLM, Ollama and llama.cpp send — or streams tool calls as {@code tool_calls} deltas (each
 * call's arguments split over several chunks, as OpenAI does), or fails, as a {@link Script} says.
 * Records every request.
 */
final class OpenAiCompatibleServer implements AutoCloseable {

  /** What to answer to one request, chosen from its last user message. */
  sealed interface Script {
    record Stream(List<String> tokens, long pauseMillis) implements Script {
    }

    /** Opens the stream, then thinks (sends nothing) for this long before streaming the tokens. */
    record Think(long millis, List<String> tokens) implements Script {
    }

    /** A reasoning model: {@code reasoning_content} deltas (as DeepSeek, vLLM and Ollama send them), then the tokens. */
    record Reason(List<String> thoughts, List<String> tokens) implements Script {
    }

    /** Streams these tokens, then sends nothing more and keeps the connection open. */
    record Stall(List<String> tokens) implements Script {
    }

    /** The model calls tools: one {@code tool_calls} delta per call, then its arguments in pieces. */
    record CallTools(List<ToolCall> calls) implements Script {
    }

    record Fail(int status, String body, java.util.Map<String, String> headers) implements Script {
      Fail(int status, String body) {
        this(status, body, java.util.Map.of());
      }
    }
  }

  record ToolCall(String id, String name, String arguments) {
  }

  record Recorded(JsonObject body, String authorization, long receivedAtMillis) {
    JsonArray messages() {
      return body.getJsonArray("messages");
    }

    /** The last message's role: {@code tool} when the request carries tool results. */
    String lastRole() {
      return messages().getJsonObject(messages().size() - 1).getString("role");
    }

    String lastUserText() {
      JsonArray messages = body.getJsonArray("messages");
      for (int i = messages.size() - 1; i >= 0; i--) {
        JsonObject m = messages.getJsonObject(i);
        if ("user".equals(m.getString("role"))) {
          return m.getValue("content") instanceof String s ? s : m.encode();
        }
      }
      return "";
    }
  }

  private final Vertx vertx = Vertx.vertx();
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private final java.util.concurrent.atomic.AtomicInteger closedBeforeTheEnd = new java.util.concurrent.atomic.AtomicInteger();
  private final Function<Recorded, Script> scripts;
  private final HttpServer server;

  /** Answers by the request's last user message. */
  OpenAiCompatibleServer(Function<String, Script> scripts) {
    this(scripts, Recorded::lastUserText);
  }

  /** Answers by the whole request. */
  static OpenAiCompatibleServer answering(Function<Recorded, Script> scripts) {
    return new OpenAiCompatibleServer(scripts, Function.identity());
  }

  private <T> OpenAiCompatibleServer(Function<T, Script> scripts, Function<Recorded, T> by) {
    this.scripts = by.andThen(scripts);
    this.server = TokenrailStack.await(vertx.createHttpServer().requestHandler(this::handle).listen(0));
  }

  String baseUrl() {
    return "http://localhost:" + server.actualPort() + "/v1";
  }

  List<Recorded> requests() {
    return List.copyOf(requests);
  }

  /** Streams whose client closed the connection before the last chunk: how a cancel reaches a provider. */
  int closedBeforeTheEnd() {
    return closedBeforeTheEnd.get();
  }

  private void handle(HttpServerRequest request) {
    if (!request.path().equals("/v1/chat/completions")) {
      request.response().setStatusCode(404).end();
      return;
    }
    request.body().onSuccess(body -> {
      Recorded recorded = new Recorded(body.toJsonObject(), request.getHeader("Authorization"), System.currentTimeMillis());
      requests.add(recorded);
      Script script = scripts.apply(recorded);
      if (script instanceof Script.Fail fail) {
        fail.headers().forEach(request.response()::putHeader);
        request.response().setStatusCode(fail.status()).putHeader("Content-Type", "application/json").end(fail.body());
      } else {
        HttpServerResponse response = request.response().setChunked(true)
            .putHeader("Content-Type", "text/event-stream");
        response.closeHandler(v -> {
          if (!response.ended()) {
            closedBeforeTheEnd.incrementAndGet();
          }
        });
        send(response, chunk(new JsonObject().put("role", "assistant").put("content", ""), null));
        if (script instanceof Script.Stream stream) {
          streamTokens(response, stream, 0);
        } else if (script instanceof Script.CallTools tools) {
          streamToolCalls(response, tools.calls());
        } else if (script instanceof Script.Think think) {
          vertx.setTimer(think.millis(), id -> streamTokens(response, new Script.Stream(think.tokens(), 1), 0));
        } else if (script instanceof Script.Reason reason) {
          reason.thoughts().forEach(t -> send(response, chunk(new JsonObject().put("reasoning_content", t), null)));
          streamTokens(response, new Script.Stream(reason.tokens(), 1), 0);
        } else if (script instanceof Script.Stall stall) {
          stall.tokens().forEach(t -> send(response, chunk(new JsonObject().put("content", t), null)));
        }
      }
    });
  }

  private void streamTokens(HttpServerResponse response, Script.Stream stream, int index) {
    if (response.closed()) {
      return;
    }
    if (index == stream.tokens().size()) {
      send(response, chunk(new JsonObject(), "stop"));
      send(response, new JsonObject().put("id", "chatcmpl-test").put("object", "chat.completion.chunk")
          .put("created", 1).put("model", "test-model").put("choices", new JsonArray())
          .put("usage", new JsonObject().put("prompt_tokens", 9).put("completion_tokens", stream.tokens().size())
              .put("total_tokens", 9 + stream.tokens().size())));
      response.end("data: [DONE]\n\n");
      return;
    }
    send(response, chunk(new JsonObject().put("content", stream.tokens().get(index)), null));
    vertx.setTimer(Math.max(1, stream.pauseMillis()), id -> streamTokens(response, stream, index + 1));
  }

  private void streamToolCalls(HttpServerResponse response, List<ToolCall> calls) {
    for (int i = 0; i < calls.size(); i++) {
      ToolCall call = calls.get(i);
      send(response, chunk(new JsonObject().put("tool_calls", new JsonArray().add(new JsonObject().put("index", i)
          .put("id", call.id()).put("type", "function")
          .put("function", new JsonObject().put("name", call.name()).put("arguments", "")))), null));
      String arguments = call.arguments();
      int half = arguments.length() / 2;
      for (String piece : List.of(arguments.substring(0, half), arguments.substring(half))) {
        send(response, chunk(new JsonObject().put("tool_calls", new JsonArray().add(new JsonObject().put("index", i)
            .put("function", new JsonObject().put("arguments", piece)))), null));
      }
    }
    send(response, chunk(new JsonObject(), "tool_calls"));
    response.end("data: [DONE]\n\n");
  }

  private static JsonObject chunk(JsonObject delta, String finishReason) {
    return new JsonObject().put("id", "chatcmpl-test").put("object", "chat.completion.chunk").put("created", 1)
        .put("model", "test-model")
        .put("choices", new JsonArray().add(new JsonObject().put("index", 0).put("delta", delta)
            .put("finish_reason", finishReason)));
  }

  private static void send(HttpServerResponse response, JsonObject json) {
    response.write("data: " + json.encode() + "\n\n");
  }

  @Override
  public void close() {
    TokenrailStack.await(vertx.close());
  }
}
