package dev.tokenrail.bench;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

/**
 * The soak's HTTP calls to the gateway. Every call is counted under a route name: its status and the time
 * to the response head, or the connection error it got instead — so every 5xx and every failed connection
 * shows in the report, whichever part of the load made the call.
 */
final class SoakHttp {

  static final String POST_MESSAGE = "POST /api/conversations/{id}/messages";
  static final String EVENTS = "GET /api/conversations/{id}/events";
  static final String EVENTS_RESUME = "GET …/events with Last-Event-ID (resume)";
  static final String CANCEL = "POST /api/conversations/{id}/cancel";
  static final String DELETE = "DELETE /api/conversations/{id}";
  static final String COMPLETION = "POST /v1/chat/completions";
  static final String COMPLETION_STREAM = "POST /v1/chat/completions stream:true";
  static final String FORGED_MESSAGE = "GET …/events?messageId=<UUIDv7 of 1970> (forged)";
  static final String FORGED_EVENT_ID = "GET …/events Last-Event-ID <partition>.0 (forged)";
  static final String SLOW_READER = "GET …/events by a slow reader (raw socket)";

  /** Longer than any answer of the soak takes, shorter than the drain. */
  private static final long CALL_IDLE_TIMEOUT_MS = 30_000;

  record Reply(int status, Buffer body) {
  }

  private final HttpClient client;
  private final int port;
  private final SoakCounters counters;

  SoakHttp(HttpClient client, int port, SoakCounters counters) {
    this.client = client;
    this.port = port;
    this.counters = counters;
  }

  int port() {
    return port;
  }

  RequestOptions options(HttpMethod method, String uri) {
    return new RequestOptions().setMethod(method).setHost("localhost").setPort(port).setURI(uri)
        .setIdleTimeout(CALL_IDLE_TIMEOUT_MS);
  }

  /** A request whose whole response is read; fails only when no response came (counted as an error). */
  Future<Reply> call(String route, RequestOptions options, String body) {
    long sent = System.nanoTime();
    return client.request(options)
        .compose(req -> body == null ? req.send() : req.putHeader("Content-Type", "application/json").send(body))
        .compose(res -> {
          counters.status(route, res.statusCode(), (System.nanoTime() - sent) / 1_000);
          return res.body().map(b -> new Reply(res.statusCode(), b));
        })
        .onFailure(e -> counters.error(route, e));
  }

  /**
   * A request whose response is a stream: completes with the response once its head arrived (status
   * counted then), for the caller to read or reset.
   */
  Future<HttpClientResponse> openStream(String route, RequestOptions options) {
    long sent = System.nanoTime();
    return client.request(options)
        .compose(req -> req.send())
        .onSuccess(res -> counters.status(route, res.statusCode(), (System.nanoTime() - sent) / 1_000))
        .onFailure(e -> counters.error(route, e));
  }

  /** Posts a chat message; completes with its message id on 202, fails otherwise (the status is counted). */
  Future<String> postMessage(String conversationId, String text) {
    return call(POST_MESSAGE, options(HttpMethod.POST, "/api/conversations/" + conversationId + "/messages"),
        new JsonObject().put("text", text).encode())
        .compose(reply -> reply.status() == 202
            ? Future.succeededFuture(reply.body().toJsonObject().getString("messageId"))
            : Future.failedFuture("POST messages got " + reply.status()));
  }

  /** 202, or 409 when the answer ended first: both fine; the status is counted either way. */
  Future<Reply> cancel(String conversationId, String messageId) {
    return call(CANCEL, options(HttpMethod.POST, "/api/conversations/" + conversationId + "/cancel"),
        new JsonObject().put("messageId", messageId).encode());
  }

  /** 204 expected; 404/405 while the route does not exist yet are counted, not failures. */
  Future<Reply> delete(String conversationId) {
    return call(DELETE, options(HttpMethod.DELETE, "/api/conversations/" + conversationId), null);
  }
}
