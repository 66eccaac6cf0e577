package dev.tokenrail.gateway.api;

import dev.tokenrail.gateway.access.Admission;
import dev.tokenrail.gateway.conversations.ConversationStarts;
import dev.tokenrail.gateway.conversations.LookupBudget;
import dev.tokenrail.gateway.conversations.MessageHistory;
import dev.tokenrail.gateway.conversations.MessageIntake;
import dev.tokenrail.gateway.conversations.Transcripts;
import dev.tokenrail.gateway.delivery.StreamFormat;
import dev.tokenrail.gateway.delivery.Streams;
import dev.tokenrail.gateway.http.ApiErrors;
import dev.tokenrail.gateway.http.ApiException;
import dev.tokenrail.gateway.http.Callers;
import dev.tokenrail.gateway.http.HttpPolicy;
import dev.tokenrail.gateway.http.JsonBodies;
import dev.tokenrail.gateway.http.ToolBodies;
import dev.tokenrail.gateway.http.Traces;
import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.protocol.ClientTools;
import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.RequestRecord;
import dev.tokenrail.protocol.TraceContext;
import dev.tokenrail.protocol.Turn;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Tokenrail's own API ({@code docs/protocol.md}): post a message, stream a conversation's events, read
 * its transcript, cancel a message.
 */
public final class ConversationRoutes {

  private final HttpPolicy http;
  private final Admission admission;
  private final MessageIntake intake;
  private final MessageHistory history;
  private final ConversationStarts starts;
  private final Transcripts transcripts;
  private final Streams streams;

  public ConversationRoutes(HttpPolicy http, Admission admission, MessageIntake intake, MessageHistory history,
                            ConversationStarts starts, Transcripts transcripts, Streams streams) {
    this.http = http;
    this.admission = admission;
    this.intake = intake;
    this.history = history;
    this.starts = starts;
    this.transcripts = transcripts;
    this.streams = streams;
  }

  /** {@code POST /api/conversations/:id/messages}: 202 once Kafka has the message. */
  public void postMessage(RoutingContext ctx) {
    String conversationId = Callers.conversationId(ctx);
    if (conversationId == null) {
      return;
    }
    JsonObject body = JsonBodies.object(ctx);
    if (body == null) {
      return;
    }
    ClientTools tools;
    try {
      List<ClientTools.Definition> definitions = ToolBodies.definitions(body.getValue("tools"), "tools");
      tools = new ClientTools(definitions, ToolBodies.choice(body.getValue("toolChoice"), definitions, "toolChoice"),
          ToolBodies.results(body.getValue("toolResults"), "toolResults"));
    } catch (ApiException e) {
      ApiErrors.send(ctx, e.status(), e.code(), e.getMessage());
      return;
    }
    Object text = body.getValue("text", tools.results().isEmpty() ? null : "");
    if (!(text instanceof String s) || (s.isBlank() && tools.results().isEmpty())) {
      ApiErrors.badRequest(ctx, "missing_text", "The body needs a non-empty string field 'text' (or 'toolResults').");
      return;
    }
    if (s.getBytes(StandardCharsets.UTF_8).length > http.maxTextBytes()) {
      ApiErrors.send(ctx, 413, "text_too_long", "'text' is longer than " + http.maxTextBytes() + " bytes.");
      return;
    }
    if (!admission.withinRate(ctx)) {
      return;
    }
    long now = System.currentTimeMillis();
    String key = Callers.kafkaKey(ctx, conversationId);
    MessageRequest request = new MessageRequest(conversationId, ConversationIds.newMessageId(now), s.strip().isEmpty() ? "" : s,
        now, Optional.empty(), tools);
    TraceContext trace = Traces.of(ctx);
    intake.accept(key, request, trace)
        .onSuccess(v -> ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
            .putHeader(TraceContext.HEADER, trace.header())
            .end(new JsonObject().put("conversationId", conversationId).put("messageId", request.messageId()).encode()))
        .onFailure(e -> ApiErrors.send(ctx, 503, "kafka_unavailable", "The message could not be stored; try again."));
  }

  /** {@code GET /api/conversations/:id/events}: the conversation's events as SSE, from where the client asks. */
  public void streamEvents(RoutingContext ctx) {
    String conversationId = Callers.conversationId(ctx);
    if (conversationId == null) {
      return;
    }
    if (!admission.admitStream(ctx)) {
      return;
    }
    String key = Callers.kafkaKey(ctx, conversationId);
    int partition = streams.partitionOf(key);
    admission.lookup(ctx, () -> streams.startOf(ctx, key, partition))
        .onSuccess(start -> streams.open(ctx, StreamFormat.NATIVE, conversationId, key, partition, start))
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The stream could not be opened; try again."));
  }

  /**
   * {@code GET /api/conversations/:id}: the conversation's messages as the workers remembered them. A
   * conversation whose messages were accepted but not yet taken by a worker has an empty transcript; one
   * never seen is 404.
   */
  public void transcript(RoutingContext ctx) {
    String conversationId = Callers.conversationId(ctx);
    if (conversationId == null) {
      return;
    }
    String key = Callers.kafkaKey(ctx, conversationId);
    admission.lookup(ctx, () -> existingTurns(key).map(turns -> Transcripts.toJson(conversationId, turns)))
        .onSuccess(ctx::json)
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The transcript could not be read; try again."));
  }

  /**
   * The conversation's turns as the workers remembered them; 404 when it has neither a turn nor a start
   * (never seen, or erased). Accepted messages not yet taken by a worker make an empty list.
   */
  private Future<List<Turn>> existingTurns(String key) {
    return transcripts.turns(key).compose(turns -> starts.startedAtNow(key).compose(started ->
        turns.isEmpty() && started.isEmpty()
            ? Future.failedFuture(new ApiException(404, "unknown_conversation", "No such conversation."))
            : Future.succeededFuture(turns.orElse(List.of()))));
  }

  /**
   * {@code DELETE /api/conversations/:id}: erases the conversation — its transcript, its memory, its
   * start — for good; later reads answer 404 and a new message starts a new conversation. Only its owner
   * can: a conversation belongs to the token's subject. 204 once Kafka has the erasure; 404 for a
   * conversation never seen. Its events stay in the events topic until Kafka's retention removes them,
   * but nothing leads to them any more.
   */
  public void deleteConversation(RoutingContext ctx) {
    String conversationId = Callers.conversationId(ctx);
    if (conversationId == null) {
      return;
    }
    String key = Callers.kafkaKey(ctx, conversationId);
    admission.lookup(ctx, () -> existingTurns(key).compose(turns -> intake.delete(key, streams.partitionOf(key),
            new RequestRecord.Delete(conversationId, turns.stream().map(Turn::messageId).toList(),
                System.currentTimeMillis()))))
        .onSuccess(v -> {
          starts.forget(key);
          ctx.response().setStatusCode(204).end();
        })
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The conversation could not be deleted; try again."));
  }

  /**
   * {@code POST /api/conversations/:id/cancel}: asks the worker generating a message to stop, through
   * Kafka, in order with the conversation. 202 once the cancel is stored; 404 for a message this
   * conversation never had; 409 when it has already ended.
   */
  public void cancelMessage(RoutingContext ctx) {
    String conversationId = Callers.conversationId(ctx);
    if (conversationId == null) {
      return;
    }
    JsonObject body = JsonBodies.object(ctx);
    if (body == null) {
      return;
    }
    if (!(body.getValue("messageId") instanceof String messageId) || ConversationIds.acceptedAt(messageId).isEmpty()) {
      ApiErrors.badRequest(ctx, "invalid_message_id", "The body needs the 'messageId' of a message.");
      return;
    }
    String key = Callers.kafkaKey(ctx, conversationId);
    admission.lookup(ctx, () -> history.status(key, messageId, LookupBudget.of(() -> ctx.response().closed())))
        .compose(status -> switch (status) {
          case UNKNOWN -> Future.failedFuture(new ApiException(404, "unknown_message", "This conversation has no such message."));
          case ENDED -> Future.failedFuture(new ApiException(409, "already_finished", "This message has already ended."));
          case NOT_ENDED -> intake.cancel(key,
              new RequestRecord.Cancel(conversationId, messageId, System.currentTimeMillis()));
        })
        .onSuccess(v -> ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("conversationId", conversationId).put("messageId", messageId).encode()))
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The cancel could not be stored; try again."));
  }
}
