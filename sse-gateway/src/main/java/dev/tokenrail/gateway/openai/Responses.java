package dev.tokenrail.gateway.openai;

import dev.tokenrail.gateway.access.Admission;
import dev.tokenrail.gateway.conversations.ConversationStarts;
import dev.tokenrail.gateway.conversations.LookupBudget;
import dev.tokenrail.gateway.conversations.MessageHistory;
import dev.tokenrail.gateway.conversations.MessageIntake;
import dev.tokenrail.gateway.conversations.Transcripts;
import dev.tokenrail.gateway.delivery.StreamStart;
import dev.tokenrail.gateway.delivery.Streams;
import dev.tokenrail.gateway.http.ApiErrors;
import dev.tokenrail.gateway.http.ApiException;
import dev.tokenrail.gateway.http.Callers;
import dev.tokenrail.gateway.http.JsonBodies;
import dev.tokenrail.gateway.http.Traces;
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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

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

  public Responses(String modelName, int maxTextBytes, Admission admission, MessageIntake intake, MessageHistory history,
                   Transcripts transcripts, ConversationStarts starts, Streams streams) {
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
    String text;
    Optional<CompletionOptions> options;
    try {
      conversationId = conversationOf(body);
      text = inputText(body.getValue("input"));
      options = options(body);
    } catch (ApiException e) {
      ApiErrors.send(ctx, e.status(), e.code(), e.getMessage());
      return;
    }
    boolean stream = body.getBoolean("stream", false);
    boolean background = body.getBoolean("background", false);
    if ((stream && !admission.admitStream(ctx)) || !admission.withinRate(ctx)) {
      return;
    }
    String key = Callers.kafkaKey(ctx, conversationId);
    long now = System.currentTimeMillis();
    MessageRequest message = new MessageRequest(conversationId, ConversationIds.newMessageId(now), text, now, options);
    ResponseIds ids = new ResponseIds(conversationId, message.messageId());
    ResponseObject response = new ResponseObject(ids, modelName, echo(body));
    TraceContext trace = Traces.of(ctx);
    ctx.response().putHeader(TraceContext.HEADER, trace.header());
    if (background && !stream) { // the client comes back for it: answer at once, queued
      intake.accept(key, message, trace)
          .onSuccess(v -> ctx.json(response.toJson()))
          .onFailure(e -> ApiErrors.send(ctx, 503, "kafka_unavailable", "The request could not be stored; try again."));
      return;
    }
    // Subscribed before the message is stored: every event of its answer comes after this position.
    streams.open(ctx, new ResponsesFormat(ids, response, stream, -1), conversationId, key, streams.partitionOf(key),
        StreamStart.live());
    intake.accept(key, message, trace).onFailure(e ->
        ApiErrors.send(ctx, 503, "kafka_unavailable", "The request could not be stored; try again."));
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
            true, startingAfter), ids.conversationId(), key, partition, start))
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
                  System.currentTimeMillis())).compose(v -> current(key, ids)).map(r -> r.status("cancelled"));
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
          turns.orElse(List.of()).stream().filter(t -> t.messageId().equals(ids.messageId())).findFirst().ifPresent(t ->
              data.add(new JsonObject().put("id", "msg_in_" + ids.messageId().replace("-", "")).put("type", "message")
                  .put("role", "user").put("status", "completed").put("content", new JsonArray().add(
                      new JsonObject().put("type", "input_text").put("text", t.userText())))));
          String only = data.isEmpty() ? null : data.getJsonObject(0).getString("id");
          ctx.json(new JsonObject().put("object", "list").put("data", data).put("first_id", only)
              .put("last_id", only).put("has_more", false));
        })
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The input could not be read; try again."));
  }

  /** The object as the transcript has it: queued until a worker takes the message; 404 for none. */
  private Future<ResponseObject> current(String key, ResponseIds ids) {
    ResponseObject response = new ResponseObject(ids, modelName, new JsonObject());
    return transcripts.turns(key).compose(turns -> {
      Optional<Turn> turn = turns.orElse(List.of()).stream().filter(t -> t.messageId().equals(ids.messageId())).findFirst();
      if (turn.isPresent()) {
        Turn t = turn.get();
        t.toolCalls().forEach(c -> response.tool(ResponseObject.toolItem(c.toolCallId(), c.name(), c.arguments(),
            c.result(), c.isError())));
        return Future.succeededFuture(response.status(switch (t.status()) {
          case PENDING -> "in_progress";
          case DONE -> "completed";
          case CANCELLED -> "cancelled";
          case ERROR -> "failed";
        }).text(t.answer()));
      }
      return history.status(key, ids.messageId(), LookupBudget.of(() -> false)).compose(status ->
          status == MessageHistory.Status.NOT_ENDED ? Future.succeededFuture(response.status("queued"))
              : Future.failedFuture(notFound()));
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

  /** The previous response's conversation, or a new one (kept as long as any named conversation). */
  private static String conversationOf(JsonObject body) {
    Object previous = body.getValue("previous_response_id");
    if (previous == null) {
      return "resp-" + UUID.randomUUID().toString().replace("-", "");
    }
    return ResponseIds.parse(previous instanceof String s ? s : null).map(ResponseIds::conversationId)
        .orElseThrow(() -> new ApiException(400, "invalid_previous_response_id", "'previous_response_id' is not a response id."));
  }

  /** {@code input}: a string, or message items of which the last user message is taken. */
  private String inputText(Object input) {
    String text = null;
    if (input instanceof String s) {
      text = s;
    } else if (input instanceof JsonArray items) {
      for (int i = items.size() - 1; i >= 0 && text == null; i--) {
        if (items.getValue(i) instanceof JsonObject item && "user".equals(item.getValue("role"))) {
          text = contentText(item.getValue("content"));
        }
      }
    }
    if (text == null || text.isBlank()) {
      throw new ApiException(400, "missing_input", "'input' needs a string, or a user message with text.");
    }
    if (text.getBytes(StandardCharsets.UTF_8).length > maxTextBytes) {
      throw new ApiException(413, "input_too_long", "'input' is longer than " + maxTextBytes + " bytes.");
    }
    return text;
  }

  private static String contentText(Object content) {
    if (content instanceof String s) {
      return s;
    }
    List<String> texts = new ArrayList<>();
    if (content instanceof JsonArray parts) {
      for (Object p : parts) {
        if (p instanceof JsonObject part && "input_text".equals(part.getValue("type")) && part.getValue("text") instanceof String t) {
          texts.add(t);
        }
      }
    }
    return texts.isEmpty() ? null : String.join("\n\n", texts);
  }

  /**
   * Instructions and sampling for a new conversation. With {@code previous_response_id} none are sent: the
   * worker then gives the model the conversation's memory, which options (a client-held history) would replace.
   */
  private static Optional<CompletionOptions> options(JsonObject body) {
    Object instructions = body.getValue("instructions");
    Object temperature = body.getValue("temperature");
    Object maxTokens = body.getValue("max_output_tokens");
    if (instructions != null && !(instructions instanceof String)) {
      throw new ApiException(400, "invalid_instructions", "'instructions' is a string.");
    }
    if (temperature != null && !(temperature instanceof Number t && t.doubleValue() >= 0 && t.doubleValue() <= 2)) {
      throw new ApiException(400, "invalid_temperature", "'temperature' is a number from 0 to 2.");
    }
    if (maxTokens != null && !(maxTokens instanceof Integer m && m > 0)) {
      throw new ApiException(400, "invalid_max_output_tokens", "'max_output_tokens' is a positive integer.");
    }
    if (body.getValue("previous_response_id") != null || (instructions == null && temperature == null && maxTokens == null)) {
      return Optional.empty();
    }
    List<CompletionOptions.Prior> prior = instructions == null ? List.of()
        : List.of(new CompletionOptions.Prior("system", (String) instructions));
    return Optional.of(new CompletionOptions(prior, Optional.ofNullable(temperature).map(t -> ((Number) t).doubleValue()),
        Optional.ofNullable((Integer) maxTokens)));
  }

  /** What the response object echoes of the request. */
  private static JsonObject echo(JsonObject body) {
    JsonObject echo = new JsonObject();
    for (String field : List.of("instructions", "metadata", "temperature", "max_output_tokens", "background",
        "previous_response_id")) {
      if (body.getValue(field) != null) {
        echo.put(field, body.getValue(field));
      }
    }
    return echo;
  }
}
