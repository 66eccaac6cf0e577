package dev.tokenrail.gateway.openai;

import dev.tokenrail.gateway.access.Admission;
import dev.tokenrail.gateway.conversations.ConversationStarts;
import dev.tokenrail.gateway.conversations.LookupBudget;
import dev.tokenrail.gateway.conversations.MessageHistory;
import dev.tokenrail.gateway.conversations.MessageIntake;
import dev.tokenrail.gateway.conversations.Transcripts;
import dev.tokenrail.gateway.delivery.StreamStart;
import dev.tokenrail.gateway.delivery.Streams;
import dev.tokenrail.gateway.groups.GatewayGroup;
import dev.tokenrail.gateway.http.ApiErrors;
import dev.tokenrail.gateway.http.ApiException;
import dev.tokenrail.gateway.http.Callers;
import dev.tokenrail.gateway.http.JsonBodies;
import dev.tokenrail.gateway.http.Traces;
import dev.tokenrail.protocol.ClientTools;
import dev.tokenrail.protocol.CompletionOptions;
import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.RequestRecord;
import dev.tokenrail.protocol.TraceContext;
import dev.tokenrail.protocol.Turn;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;

/**
 * OpenAI's Responses API with background mode, through the same pipeline: a response is a message of a
 * conversation ({@link ResponseIds}), so any gateway serves it, and its events are the log's — which is what
 * makes {@code GET /v1/responses/{id}?stream=true&starting_after=N} work for as long as Kafka keeps the log,
 * not minutes. {@code previous_response_id} continues that response's conversation: the workers' memory
 * carries the history.
 */
public final class Responses {

  private final String modelName;
  private final int maxTextBytes;
  private final Admission admission;
  private final MessageIntake intake;
  private final MessageHistory history;
  private final Transcripts transcripts;
  private final ConversationStarts starts;
  private final Streams streams;
  private final GatewayGroup group;

  public Responses(String modelName, int maxTextBytes, Admission admission, MessageIntake intake, MessageHistory history,
                   Transcripts transcripts, ConversationStarts starts, Streams streams, GatewayGroup group) {
    this.group = group;
    this.starts = starts;
    this.modelName = modelName;
    this.maxTextBytes = maxTextBytes;
    this.admission = admission;
    this.intake = intake;
    this.history = history;
    this.transcripts = transcripts;
    this.streams = streams;
  }

  /** {@code POST /v1/responses}. */
  public void create(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    if (body == null) {
      return;
    }
    String conversationId;
    ResponseRequest.Input input;
    Optional<CompletionOptions> options;
    ClientTools tools;
    try {
      // A new response's conversation is one of this gateway's group, so its answer streams from here.
      conversationId = ResponseRequest.conversationOf(body, candidates -> group.newConversationId(ctx, candidates));
      input = ResponseRequest.input(body.getValue("input"), body.getValue("previous_response_id") != null, maxTextBytes);
      options = ResponseRequest.options(body, input);
      tools = ResponseRequest.tools(body, input);
    } catch (ApiException e) {
      ApiErrors.send(ctx, e.status(), e.code(), e.getMessage());
      return;
    }
    String key = Callers.kafkaKey(ctx, conversationId);
    if (!group.serves(ctx, key)) { // continues a conversation of another gateway group: redirected there
      return;
    }
    boolean stream = body.getBoolean("stream", false);
    boolean background = body.getBoolean("background", false);
    // Every request that waits on the answer holds a stream's place; a background one answers at once.
    if ((!(background && !stream) && !admission.admitStream(ctx)) || !admission.withinRate(ctx)) {
      return;
    }
    Optional<ResponseIds> previous = ResponseIds.parse(body.getString("previous_response_id"));
    if (previous.isEmpty()) {
      accept(ctx, body, key, conversationId, input.text(), options, tools, stream, background);
      return;
    }
    // The previous response must be the caller's: another subject's id, or a made-up one, names nothing.
    admission.lookup(ctx, () -> history.status(key, previous.get().messageId(), LookupBudget.of(() -> ctx.response().closed())))
        .onSuccess(status -> {
          if (status == MessageHistory.Status.UNKNOWN) {
            ApiErrors.send(ctx, 400, "previous_response_not_found", "'previous_response_id' names no response of yours.");
          } else {
            accept(ctx, body, key, conversationId, input.text(), options, tools, stream, background);
          }
        })
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The previous response could not be checked; try again."));
  }

  private void accept(RoutingContext ctx, JsonObject body, String key, String conversationId, String text,
                      Optional<CompletionOptions> options, ClientTools tools, boolean stream, boolean background) {
    long now = System.currentTimeMillis();
    MessageRequest message = new MessageRequest(conversationId, ConversationIds.newMessageId(now), text, now, options,
        tools);
    ResponseIds ids = new ResponseIds(conversationId, message.messageId());
    ResponseObject response = new ResponseObject(ids, modelName, ResponseRequest.echo(body));
    TraceContext trace = Traces.of(ctx);
    ctx.response().putHeader(TraceContext.HEADER, trace.header());
    if (background && !stream) { // the client comes back for it: answer at once, queued
      intake.accept(key, message, trace)
          .onSuccess(v -> ctx.json(response.toJson()))
          .onFailure(e -> ApiErrors.send(ctx, 503, "kafka_unavailable", "The request could not be stored; try again."));
      return;
    }
    // Subscribed before the message is stored: every event of its answer comes after this position.
    streams.open(ctx, new ResponsesFormat(ids, response, stream, -1, false), conversationId, key,
        streams.partitionOf(key), StreamStart.live());
    intake.accept(key, message, trace).onFailure(e ->
        ApiErrors.send(ctx, 503, "kafka_unavailable", "The request could not be stored; try again."));
  }

  /** The conversation of the path's response id, if it is one (for routing to the gateway group that serves it). */
  public static Optional<String> conversationOfPath(RoutingContext ctx) {
    return ResponseIds.parse(ctx.pathParam("id")).map(ResponseIds::conversationId);
  }

  /** {@code GET /v1/responses/:id}: the object, or with {@code stream=true} its events after {@code starting_after}. */
  public void retrieve(RoutingContext ctx) {
    ResponseIds ids = idOf(ctx);
    if (ids == null) {
      return;
    }
    String key = Callers.kafkaKey(ctx, ids.conversationId());
    if (!"true".equals(ctx.queryParams().get("stream"))) {
      admission.lookup(ctx, () -> current(key, ids)).onSuccess(r -> ctx.json(r.toJson()))
          .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The response could not be read; try again."));
      return;
    }
    long startingAfter;
    try {
      String raw = ctx.queryParams().get("starting_after");
      startingAfter = raw == null ? -1 : Long.parseLong(raw);
      if (startingAfter < -1) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      ApiErrors.badRequest(ctx, "invalid_starting_after", "'starting_after' is a sequence number.");
      return;
    }
    if (!admission.admitStream(ctx)) {
      return;
    }
    int partition = streams.partitionOf(key);
    // Noted before the lookup: a response taken but not started has no events yet; they come after this.
    StreamStart liveBeforeLookup = streams.liveNow(partition);
    admission.lookup(ctx, () -> history.status(key, ids.messageId(), LookupBudget.of(() -> ctx.response().closed()))
            .compose(status -> status == MessageHistory.Status.UNKNOWN ? Future.failedFuture(notFound())
                : streams.startOfMessage(ctx, key, partition, ids.messageId()).recover(e ->
                    e instanceof ApiException api && api.status() == 404 && status == MessageHistory.Status.NOT_ENDED
                        ? Future.succeededFuture(liveBeforeLookup) : Future.failedFuture(e))))
        .onSuccess(start -> streams.open(ctx, new ResponsesFormat(ids, new ResponseObject(ids, modelName, new JsonObject()),
            true, startingAfter, true), ids.conversationId(), key, partition, start))
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The response could not be streamed; try again."));
  }

  /** {@code POST /v1/responses/:id/cancel}: cancels through the log; the object, {@code cancelled} unless it had ended. */
  public void cancel(RoutingContext ctx) {
    ResponseIds ids = idOf(ctx);
    if (ids == null) {
      return;
    }
    String key = Callers.kafkaKey(ctx, ids.conversationId());
    admission.lookup(ctx, () -> history.status(key, ids.messageId(), LookupBudget.of(() -> ctx.response().closed()))
            .compose(status -> switch (status) {
              case UNKNOWN -> Future.failedFuture(notFound());
              case ENDED -> current(key, ids);
              case NOT_ENDED -> intake.cancel(key, new RequestRecord.Cancel(ids.conversationId(), ids.messageId(),
                  System.currentTimeMillis())).compose(v -> current(key, ids))
                  // cancelled, unless the answer ended before the cancel reached its worker
                  .map(r -> r.isRunning() ? r.status("cancelled") : r);
            }))
        .onSuccess(r -> ctx.json(r.toJson()))
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The cancel could not be stored; try again."));
  }

  /**
   * {@code DELETE /v1/responses/:id}: erases the response's conversation, as {@code DELETE
   * /api/conversations/:id} does — the response and every response chained to it by
   * {@code previous_response_id} (they are one conversation, and its memory goes with it). Later reads 404.
   */
  public void delete(RoutingContext ctx) {
    ResponseIds ids = idOf(ctx);
    if (ids == null) {
      return;
    }
    String key = Callers.kafkaKey(ctx, ids.conversationId());
    admission.lookup(ctx, () -> current(key, ids).compose(r -> transcripts.turns(key)).compose(turns ->
            intake.delete(key, streams.partitionOf(key), new RequestRecord.Delete(ids.conversationId(),
                turns.orElse(List.of()).stream().map(Turn::messageId).toList(), System.currentTimeMillis()))))
        .onSuccess(v -> {
          starts.forget(key);
          ctx.json(new JsonObject().put("id", ids.responseId()).put("object", "response.deleted").put("deleted", true));
        })
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The response could not be deleted; try again."));
  }

  /** {@code GET /v1/responses/:id/input_items}: the user's input, as the transcript has it. */
  public void inputItems(RoutingContext ctx) {
    ResponseIds ids = idOf(ctx);
    if (ids == null) {
      return;
    }
    String key = Callers.kafkaKey(ctx, ids.conversationId());
    admission.lookup(ctx, () -> current(key, ids).compose(r -> transcripts.turns(key)))
        .onSuccess(turns -> {
          JsonArray data = new JsonArray();
          turns.orElse(List.of()).stream().filter(t -> t.messageId().equals(ids.messageId())).findFirst().ifPresent(t -> {
            t.clientResults().forEach(r -> data.add(new JsonObject().put("id", "fco_" + r.toolCallId())
                .put("type", "function_call_output").put("call_id", r.toolCallId()).put("output", r.result())
                .put("status", "completed")));
            if (!t.userText().isEmpty() || t.clientResults().isEmpty()) {
              data.add(new JsonObject().put("id", "msg_in_" + ids.messageId().replace("-", "")).put("type", "message")
                  .put("role", "user").put("status", "completed").put("content", new JsonArray().add(
                      new JsonObject().put("type", "input_text").put("text", t.userText()))));
            }
          });
          String first = data.isEmpty() ? null : data.getJsonObject(0).getString("id");
          String last = data.isEmpty() ? null : data.getJsonObject(data.size() - 1).getString("id");
          ctx.json(new JsonObject().put("object", "list").put("data", data).put("first_id", first)
              .put("last_id", last).put("has_more", false));
        })
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The input could not be read; try again."));
  }

  /**
   * The object as the transcript has it: queued until a worker takes the message; 404 for none. The ledger
   * is asked first: an answer that starts and ends between two reads is then in the transcript already.
   */
  private Future<ResponseObject> current(String key, ResponseIds ids) {
    ResponseObject response = new ResponseObject(ids, modelName, new JsonObject());
    return history.status(key, ids.messageId(), LookupBudget.of(() -> false)).compose(status -> {
      if (status == MessageHistory.Status.UNKNOWN) {
        return Future.failedFuture(notFound());
      }
      return transcripts.turns(key).compose(turns -> {
        Optional<Turn> turn = turns.orElse(List.of()).stream().filter(t -> t.messageId().equals(ids.messageId())).findFirst();
        if (turn.isEmpty()) { // not taken by a worker yet — or ended and erased since
          return status == MessageHistory.Status.NOT_ENDED ? Future.succeededFuture(response.status("queued"))
              : Future.failedFuture(notFound());
        }
        Turn t = turn.get();
        // As the stream built it: the workers' calls, the message (before the client's calls: the model spoke,
        // then called; none when the answer is only the client's calls), then the client's calls.
        List<Turn.ToolUse> made = t.toolCalls().stream().filter(c -> c.round() != Turn.CLIENT_RESULTS).toList();
        made.stream().filter(c -> !c.client()).forEach(c -> response.tool(
            ResponseObject.workerToolItem(c.toolCallId(), c.name(), c.arguments(), c.result(), c.isError())));
        boolean endedWithClientCalls = made.stream().anyMatch(Turn.ToolUse::client);
        if (!endedWithClientCalls || !t.answer().isEmpty()) {
          response.messageIndex();
          response.text(t.answer());
        }
        made.stream().filter(Turn.ToolUse::client).forEach(c -> response.tool(
            ResponseObject.clientToolItem(c.toolCallId(), c.name(), c.arguments(), "completed")));
        return Future.succeededFuture(response.status(switch (t.status()) {
          case PENDING -> "in_progress";
          case DONE -> "completed";
          case CANCELLED -> "cancelled";
          case ERROR -> "failed";
        }));
      });
    });
  }

  private static ApiException notFound() {
    return new ApiException(404, "response_not_found", "No such response.");
  }

  private static ResponseIds idOf(RoutingContext ctx) {
    Optional<ResponseIds> ids = ResponseIds.parse(ctx.pathParam("id"));
    if (ids.isEmpty()) {
      ApiErrors.send(ctx, 404, "response_not_found", "No such response.");
      return null;
    }
    return ids.get();
  }

}
