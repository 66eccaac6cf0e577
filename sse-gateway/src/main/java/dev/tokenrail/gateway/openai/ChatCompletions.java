package dev.tokenrail.gateway.openai;

import dev.tokenrail.gateway.access.Admission;
import dev.tokenrail.gateway.conversations.MessageIntake;
import dev.tokenrail.gateway.delivery.StreamStart;
import dev.tokenrail.gateway.delivery.Streams;
import dev.tokenrail.gateway.groups.GatewayGroup;
import dev.tokenrail.gateway.http.ApiErrors;
import dev.tokenrail.gateway.http.ApiException;
import dev.tokenrail.gateway.http.Callers;
import dev.tokenrail.gateway.http.JsonBodies;
import dev.tokenrail.gateway.http.Traces;
import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.TraceContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * OpenAI's chat-completions API on the gateway, through the same Kafka pipeline: {@code POST
 * /v1/chat/completions} becomes a message of a conversation — a new one per request, unless the
 * {@code conversation_id} body field or {@code X-Conversation-Id} header names one — and its answer's
 * events are written back as OpenAI chunks ({@code stream: true}) or one completion. A POST with
 * {@code Last-Event-ID} (and the conversation named) sends no message: it resumes that stream after the
 * event. {@code GET /v1/models} lists the workers' model.
 */
public final class ChatCompletions {

  /** OpenAI clients send the whole conversation each time; records stay well under Kafka's 1 MB default. */
  public static final int MAX_BODY_BYTES = 512 * 1024;

  private final String modelName;
  private final int maxTextBytes;
  private final Admission admission;
  private final MessageIntake intake;
  private final Streams streams;
  private final long created = System.currentTimeMillis() / 1000;

  /** @param modelName the model {@code GET /v1/models} lists (the workers' configured model) */
  private final GatewayGroup group;

  public ChatCompletions(String modelName, int maxTextBytes, Admission admission, MessageIntake intake, Streams streams,
                         GatewayGroup group) {
    this.group = group;
    this.modelName = modelName;
    this.maxTextBytes = maxTextBytes;
    this.admission = admission;
    this.intake = intake;
    this.streams = streams;
  }

  public void models(RoutingContext ctx) {
    ctx.json(new JsonObject().put("object", "list").put("data", new JsonArray().add(modelJson())));
  }

  public void oneModel(RoutingContext ctx) {
    if (!modelName.equals(ctx.pathParam("model"))) {
      ApiErrors.send(ctx, 404, "model_not_found", "The model '" + ctx.pathParam("model") + "' does not exist.");
      return;
    }
    ctx.json(modelJson());
  }

  private JsonObject modelJson() {
    return new JsonObject().put("id", modelName).put("object", "model").put("created", created)
        .put("owned_by", "tokenrail");
  }

  public void complete(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    if (body == null) {
      return;
    }
    CompletionRequest request;
    try {
      // A stateless completion's new conversation is one of this gateway's group: its answer streams from here.
      request = CompletionRequest.parse(ctx, body, maxTextBytes,
          () -> group.newConversationId(ctx, ConversationIds::newStatelessId));
    } catch (ApiException e) {
      ApiErrors.send(ctx, e.status(), e.code(), e.getMessage());
      return;
    }
    String key = Callers.kafkaKey(ctx, request.conversationId());
    if (!group.serves(ctx, key)) { // a named conversation of another gateway group: redirected there
      return;
    }
    int partition = streams.partitionOf(key);
    if (ctx.request().getHeader("Last-Event-ID") != null) {
      resume(ctx, request, key, partition);
      return;
    }
    // The stream's place first: a completion refused for want of one doesn't spend a message of the rate
    // (a place taken and then refused by the rate is released when that answer ends).
    if (!admission.admitStream(ctx) || !admission.withinRate(ctx)) {
      return;
    }
    long now = System.currentTimeMillis();
    MessageRequest message = new MessageRequest(request.conversationId(), ConversationIds.newMessageId(now),
        request.text(), now, Optional.of(request.options()), request.tools());
    TraceContext trace = Traces.of(ctx);
    ctx.response().putHeader("X-Conversation-Id", request.conversationId())
        .putHeader(TraceContext.HEADER, trace.header());
    // Subscribed before the message is stored: every event of its answer comes after this position.
    streams.open(ctx,
        new CompletionFormat(message.messageId(), request.stream(), request.includeUsage(), modelName),
        request.conversationId(), key, partition, StreamStart.live());
    // Ending the response (here, with the error) unsubscribes it.
    intake.accept(key, message, trace).onFailure(e ->
        ApiErrors.send(ctx, 503, "kafka_unavailable", "The message could not be stored; try again."));
  }

  private void resume(RoutingContext ctx, CompletionRequest request, String key, int partition) {
    if (!request.conversationNamed()) {
      ApiErrors.badRequest(ctx, "missing_conversation_id",
          "Resuming with Last-Event-ID needs the conversation: 'conversation_id' or X-Conversation-Id.");
      return;
    }
    if (!admission.admitStream(ctx)) {
      return;
    }
    admission.lookup(ctx, () -> streams.startOf(ctx, key, partition))
        .onSuccess(start -> {
          ctx.response().putHeader("X-Conversation-Id", request.conversationId());
          streams.open(ctx, new CompletionFormat(null, true, request.includeUsage(), modelName),
              request.conversationId(), key, partition, start);
        })
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The stream could not be resumed; try again."));
  }
}
