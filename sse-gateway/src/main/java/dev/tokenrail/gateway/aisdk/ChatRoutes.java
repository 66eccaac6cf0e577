package dev.tokenrail.gateway.aisdk;

import dev.tokenrail.gateway.access.Admission;
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
import dev.tokenrail.gateway.http.ToolBodies;
import dev.tokenrail.gateway.http.Traces;
import dev.tokenrail.protocol.ClientTools;
import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.RequestRecord;
import dev.tokenrail.protocol.TraceContext;
import dev.tokenrail.protocol.Turn;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The AI SDK's {@code useChat} (default transport) on the gateway:
 * <ul>
 *   <li>{@code POST /api/chat} — the SDK sends the whole message list each time; the workers remember the
 *       conversation already, so only the last user message is stored, as a message of the conversation
 *       {@code id}, and its answer streams back as a {@link UiMessageStream}. The page may send its own tools
 *       ({@code tools}, {@code toolChoice} in the body): when the model calls one, the page runs it and sends the
 *       conversation again, ending with the assistant message whose calls now have outputs — stored as a message
 *       that brings those results, and answered as that assistant message's next step.
 *   <li>{@code GET /api/chat/:id/stream} — {@code resume: true}: 204 when no answer is in progress, else
 *       that answer from its first part, then live, on any gateway. The SDK sends no cursor, so the page's
 *       history must leave that answer out (the transcript's {@code inProgress} names it).
 *   <li>{@code POST /api/chat/:id/stop} — the SDK's {@code stop()} only closes the connection, which must
 *       not cancel (a reload closes it too); a page calls this, then {@code stop()}. 202 when a cancel was
 *       stored, 204 when nothing was in progress.
 * </ul>
 */
public final class ChatRoutes {

  /** The SDK sends the whole conversation each time; records stay well under Kafka's 1 MB default. */
  public static final int MAX_BODY_BYTES = 512 * 1024;

  private final int maxTextBytes;
  private final Admission admission;
  private final MessageIntake intake;
  private final MessageHistory history;
  private final Transcripts transcripts;
  private final Streams streams;

  private final GatewayGroup group;

  public ChatRoutes(int maxTextBytes, Admission admission, MessageIntake intake, MessageHistory history,
                    Transcripts transcripts, Streams streams, GatewayGroup group) {
    this.group = group;
    this.maxTextBytes = maxTextBytes;
    this.admission = admission;
    this.intake = intake;
    this.history = history;
    this.transcripts = transcripts;
    this.streams = streams;
  }

  /** {@code POST /api/chat}: stores the last user message and streams its answer. */
  public void chat(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    if (body == null) {
      return;
    }
    String conversationId;
    String text;
    ClientTools tools;
    try {
      conversationId = conversationIdOf(body);
      List<ClientTools.Definition> definitions = ToolBodies.definitions(body.getValue("tools"), "tools");
      String choice = ToolBodies.choice(body.getValue("toolChoice"), definitions, "toolChoice");
      List<ClientTools.Result> results = toolOutputs(body);
      text = results.isEmpty() ? lastUserText(body) : "";
      tools = new ClientTools(definitions, choice, results);
    } catch (ApiException e) {
      ApiErrors.send(ctx, e.status(), e.code(), e.getMessage());
      return;
    }
    String key = Callers.kafkaKey(ctx, conversationId);
    if (!group.serves(ctx, key)) { // the chat's id is in the body: one of another gateway group is redirected there
      return;
    }
    // The stream's place first: a message refused for want of one doesn't spend a message of the rate.
    if (!admission.admitStream(ctx) || !admission.withinRate(ctx)) {
      return;
    }
    int partition = streams.partitionOf(key);
    long now = System.currentTimeMillis();
    MessageRequest message = new MessageRequest(conversationId, ConversationIds.newMessageId(now), text, now,
        Optional.empty(), tools);
    TraceContext trace = Traces.of(ctx);
    ctx.response().putHeader(TraceContext.HEADER, trace.header());
    // Subscribed before the message is stored: every event of its answer comes after this position.
    UiMessageStream parts = new UiMessageStream(message.messageId(), !tools.results().isEmpty());
    streams.open(ctx, parts, conversationId, key, partition, StreamStart.live());
    intake.accept(key, message, trace)
        .onSuccess(v -> {
          Buffer start = parts.announce();
          if (start != null && !ctx.response().ended() && !ctx.response().closed()) {
            ctx.response().write(start);
          }
        })
        .onFailure(e -> ApiErrors.send(ctx, 503, "kafka_unavailable", "The message could not be stored; try again."));
  }

  /** {@code GET /api/chat/:id/stream}: the answer in progress from its start, then live; 204 when none is. */
  public void resume(RoutingContext ctx) {
    String conversationId = Callers.conversationId(ctx);
    if (conversationId == null || !admission.admitStream(ctx)) {
      return;
    }
    String key = Callers.kafkaKey(ctx, conversationId);
    int partition = streams.partitionOf(key);
    // Noted before the lookup: a message taken by a worker but not started yet has no events to replay, and
    // its start, whenever it comes, comes after this position.
    StreamStart liveBeforeLookup = streams.liveNow(partition);
    admission.lookup(ctx, () -> inProgress(key).compose(messageId -> messageId.isEmpty()
            ? Future.succeededFuture(Optional.<Resumed>empty())
            : streams.startOfMessage(ctx, key, partition, messageId.get())
                .recover(e -> e instanceof ApiException api && api.status() == 404
                    ? Future.succeededFuture(liveBeforeLookup) : Future.failedFuture(e))
                .map(start -> Optional.of(new Resumed(messageId.get(), start)))))
        .onSuccess(resumed -> {
          if (resumed.isEmpty()) {
            ctx.response().setStatusCode(204).end();
          } else {
            streams.open(ctx, new UiMessageStream(resumed.get().messageId()), conversationId, key, partition,
                resumed.get().start());
          }
        })
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The stream could not be resumed; try again."));
  }

  private record Resumed(String messageId, StreamStart start) {
  }

  /**
   * {@code POST /api/chat/:id/stop}: cancels an answer through the log — the one the body's {@code messageId}
   * names (the {@code start} part's id: a page knows it from the stream's first part, even while the message
   * still waits for a worker), else the one in progress. 202 when a cancel was stored; 204 when there was
   * nothing to stop (already ended, or nothing in progress); 404 for a message the conversation never had.
   */
  public void stop(RoutingContext ctx) {
    String conversationId = Callers.conversationId(ctx);
    if (conversationId == null) {
      return;
    }
    JsonObject body = ctx.body().length() == 0 ? new JsonObject() : JsonBodies.object(ctx);
    if (body == null) {
      return;
    }
    Object named = body.getValue("messageId");
    if (named != null && (!(named instanceof String id) || ConversationIds.acceptedAt(id).isEmpty())) {
      ApiErrors.badRequest(ctx, "invalid_message_id", "'messageId' is not a message id.");
      return;
    }
    String key = Callers.kafkaKey(ctx, conversationId);
    java.util.function.Supplier<Future<Optional<String>>> target = () -> named instanceof String id
        ? history.status(key, id, LookupBudget.of(() -> ctx.response().closed())).compose(status -> switch (status) {
          case UNKNOWN -> Future.failedFuture(new ApiException(404, "unknown_message", "This conversation has no such message."));
          case ENDED -> Future.succeededFuture(Optional.<String>empty());
          case NOT_ENDED -> Future.succeededFuture(Optional.of(id));
        })
        : inProgress(key);
    admission.lookup(ctx, () -> target.get().compose(messageId -> messageId.isEmpty()
            ? Future.succeededFuture(Optional.<String>empty())
            : intake.cancel(key, new RequestRecord.Cancel(conversationId, messageId.get(), System.currentTimeMillis()))
                .map(v -> messageId)))
        .onSuccess(cancelled -> {
          if (cancelled.isEmpty()) {
            ctx.response().setStatusCode(204).end();
          } else {
            ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("conversationId", conversationId).put("messageId", cancelled.get()).encode());
          }
        })
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The stop could not be stored; try again."));
  }

  /** The message whose answer is in progress, as the conversation's transcript has it. */
  private Future<Optional<String>> inProgress(String key) {
    return transcripts.turns(key).map(turns -> Transcripts.inProgress(turns.orElse(List.of())).map(Turn::messageId));
  }

  private static String conversationIdOf(JsonObject body) {
    if (!(body.getValue("id") instanceof String id) || !ConversationIds.isValid(id)) {
      throw new ApiException(400, "invalid_conversation_id", "'id' (the chat's id) must match [A-Za-z0-9_-]{1,64}.");
    }
    return id;
  }

  /**
   * The outputs of the page's own tools, when the page sends the conversation again because its last assistant
   * message's calls have them ({@code sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithToolCalls}): the
   * tool parts of that message's last step that the page ran — not {@code providerExecuted} — with
   * {@code output-available} or {@code output-error}. None when the last message is the user's.
   */
  private static List<ClientTools.Result> toolOutputs(JsonObject body) {
    if (!(body.getValue("messages") instanceof JsonArray messages) || messages.isEmpty()
        || !(messages.getValue(messages.size() - 1) instanceof JsonObject last) || !"assistant".equals(last.getValue("role"))
        || !"submit-message".equals(body.getValue("trigger", "submit-message"))) {
      return List.of();
    }
    if (body.getValue("messageId") != null && !body.getValue("messageId").equals(last.getValue("id"))) {
      throw new ApiException(400, "unsupported_edit",
          "Editing a sent message is not supported: the conversation's log keeps what was sent. Send a new message.");
    }
    List<ClientTools.Result> results = new java.util.ArrayList<>();
    if (last.getValue("parts") instanceof JsonArray parts) {
      for (Object p : parts) {
        if (!(p instanceof JsonObject part) || !(part.getValue("type") instanceof String type)) {
          continue;
        }
        if (type.equals("step-start")) {
          results.clear(); // only the last step's calls are waiting for their outputs
          continue;
        }
        boolean tool = type.startsWith("tool-") || type.equals("dynamic-tool");
        if (!tool || Boolean.TRUE.equals(part.getValue("providerExecuted"))
            || !(part.getValue("toolCallId") instanceof String id)) {
          continue;
        }
        String name = type.equals("dynamic-tool") ? String.valueOf(part.getValue("toolName")) : type.substring(5);
        if ("output-available".equals(part.getValue("state"))) {
          results.add(new ClientTools.Result(id, name, ToolBodies.resultText(part.getValue("output")), false));
        } else if ("output-error".equals(part.getValue("state"))) {
          results.add(new ClientTools.Result(id, name, String.valueOf(part.getValue("errorText")), true));
        }
      }
    }
    return ToolBodies.checkedSize(results, "messages");
  }

  /**
   * The text of the last message, which must be the user's: its text parts, joined by blank lines. The two
   * sends a transport makes are taken: a new message ({@code submit-message}), and {@code regenerate-message},
   * which asks the last user message again — the earlier answer stays in the conversation (the log is
   * append-only), and the model sees it. An edit ({@code submit-message} naming a {@code messageId}) would
   * rewrite history the log keeps: refused, as are parts Tokenrail cannot send on (files).
   */
  private String lastUserText(JsonObject body) {
    Object trigger = body.getValue("trigger", "submit-message");
    if (!"submit-message".equals(trigger) && !"regenerate-message".equals(trigger)) {
      throw new ApiException(400, "unsupported_trigger", "'trigger' is 'submit-message' or 'regenerate-message'.");
    }
    if ("submit-message".equals(trigger) && body.getValue("messageId") != null) {
      throw new ApiException(400, "unsupported_edit",
          "Editing a sent message is not supported: the conversation's log keeps what was sent. Send a new message.");
    }
    if (!(body.getValue("messages") instanceof JsonArray messages) || messages.isEmpty()
        || !(messages.getValue(messages.size() - 1) instanceof JsonObject last)) {
      throw new ApiException(400, "missing_messages", "The body needs 'messages', ending with the user's message.");
    }
    if (!"user".equals(last.getValue("role"))) {
      throw new ApiException(400, "last_message_not_user", "The last of 'messages' must have role 'user'.");
    }
    List<String> texts = new java.util.ArrayList<>();
    if (last.getValue("parts") instanceof JsonArray parts) {
      for (Object p : parts) {
        if (p instanceof JsonObject part && "file".equals(part.getValue("type"))) {
          throw new ApiException(400, "unsupported_part", "File parts are not supported; send text.");
        }
        if (p instanceof JsonObject part && "text".equals(part.getValue("type")) && part.getValue("text") instanceof String t) {
          texts.add(t);
        }
      }
    }
    String text = String.join("\n\n", texts);
    if (text.isBlank()) {
      throw new ApiException(400, "missing_text", "The last message needs a text part.");
    }
    if (text.getBytes(StandardCharsets.UTF_8).length > maxTextBytes) {
      throw new ApiException(413, "text_too_long", "The message's text is longer than " + maxTextBytes + " bytes.");
    }
    return text;
  }
}
