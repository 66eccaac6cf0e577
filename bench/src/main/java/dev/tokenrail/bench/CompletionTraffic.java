package dev.tokenrail.bench;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Stateless completions on the OpenAI-compatible route, paced: each a new conversation on the gateway,
 * a third of them streamed. A completion counts as answered when it is a 200 with the whole answer — the
 * 20 tokens asked for ({@code usage.completion_tokens}), text, and for a stream the closing {@code [DONE]}.
 */
final class CompletionTraffic {

  private static final int TOKENS = 20;
  private static final double STREAM_SHARE = 1.0 / 3;

  private final SoakLoad load;
  private final SoakCounters counters;

  CompletionTraffic(SoakLoad load, SoakCounters counters) {
    this.load = load;
    this.counters = counters;
  }

  void send() {
    boolean stream = ThreadLocalRandom.current().nextDouble() < STREAM_SHARE;
    JsonObject body = new JsonObject().put("model", "demo")
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "#tokens=" + TOKENS + " hi")));
    if (stream) {
      body.put("stream", true).put("stream_options", new JsonObject().put("include_usage", true));
    }
    String route = stream ? SoakHttp.COMPLETION_STREAM : SoakHttp.COMPLETION;
    counters.completionSent();
    load.http().call(route, load.http().options(HttpMethod.POST, "/v1/chat/completions"), body.encode())
        .onSuccess(reply -> {
          String fault;
          try {
            fault = reply.status() != 200 ? null // the status is counted; nothing else to say
                : stream ? checkStream(reply.body().toString()) : checkWhole(reply.body().toJsonObject());
          } catch (RuntimeException e) { // a field missing, a body that is not JSON
            fault = "unreadable " + (stream ? "stream" : "chat.completion") + ": " + SoakCounters.describe(e);
          }
          counters.completionReturned(reply.status() == 200 && fault == null, fault);
        })
        .onFailure(e -> counters.completionLost());
  }

  private static String checkWhole(JsonObject completion) {
    JsonObject choice = completion.getJsonArray("choices").getJsonObject(0);
    String content = choice.getJsonObject("message").getString("content");
    long tokens = completion.getJsonObject("usage").getLong("completion_tokens");
    if (content == null || content.isBlank() || tokens != TOKENS || !"stop".equals(choice.getString("finish_reason"))) {
      return "chat.completion with " + tokens + " tokens, finish_reason " + choice.getString("finish_reason");
    }
    return null;
  }

  private static String checkStream(String body) {
    StringBuilder content = new StringBuilder();
    long usage = -1;
    boolean doneMarker = false;
    for (String line : body.split("\n")) {
      if (!line.startsWith("data: ")) {
        continue;
      }
      String data = line.substring(6);
      if (data.equals("[DONE]")) {
        doneMarker = true;
        continue;
      }
      JsonObject chunk = new JsonObject(data);
      if (chunk.getJsonObject("usage") != null) {
        usage = chunk.getJsonObject("usage").getLong("completion_tokens");
      }
      JsonArray choices = chunk.getJsonArray("choices");
      if (choices != null && !choices.isEmpty()) {
        JsonObject delta = choices.getJsonObject(0).getJsonObject("delta");
        if (delta != null && delta.getString("content") != null) {
          content.append(delta.getString("content"));
        }
      }
    }
    if (!doneMarker || usage != TOKENS || content.isEmpty()) {
      return "chat.completion.chunk stream: [DONE] " + doneMarker + ", usage " + usage + ", " + content.length() + " chars";
    }
    return null;
  }
}
