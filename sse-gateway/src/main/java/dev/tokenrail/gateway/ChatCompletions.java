package dev.tokenrail.gateway;

import dev.tokenrail.protocol.CompletionOptions;
import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.protocol.TraceContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * OpenAI's chat-completions API on the gateway, through the same Kafka pipeline: {@code POST
 * /v1/chat/completions} becomes a message of a conversation — a new one per request, unless the
 * {@code conversation_id} body field or {@code X-Conversation-Id} header names one — and its answer's
 * events are written back as OpenAI chunks ({@code stream: true}) or one completion. A POST with
 * {@code Last-Event-ID} (and the conversation named) sends no message: it resumes that stream after the
 * event. {@code GET /v1/models} lists the workers' model.
 */
final class ChatCompletions {

  /** OpenAI clients send the whole conversation each time; records stay well under Kafka's 1 MB default. */
  static final int MAX_BODY_BYTES = 512 * 1024;
  private static final int MAX_MESSAGES = 1_000;

  private final GatewayVerticle gateway;
  private final GatewayConfig config;
  private final StreamStarts streamStarts;
  private final java.util.function.IntSupplier partitions;
  private final long created = System.currentTimeMillis() / 1000;

  ChatCompletions(GatewayVerticle gateway, GatewayConfig config, StreamStarts streamStarts,
                  java.util.function.IntSupplier partitions) {
    this.gateway = gateway;
    this.config = config;
    this.streamStarts = streamStarts;
    this.partitions = partitions;
  }

  void models(RoutingContext ctx) {
    ctx.json(new JsonObject().put("object", "list").put("data", new JsonArray().add(modelJson())));
  }

  void oneModel(RoutingContext ctx) {
    if (!config.modelName().equals(ctx.pathParam("model"))) {
      ApiErrors.send(ctx, 404, "model_not_found", "The model '" + ctx.pathParam("model") + "' does not exist.");
      return;
    }
    ctx.json(modelJson());
  }

  private JsonObject modelJson() {
    return new JsonObject().put("id", config.modelName()).put("object", "model").put("created", created)
        .put("owned_by", "tokenrail");
  }

  void complete(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      body = null;
    }
    if (body == null) {
      ApiErrors.badRequest(ctx, "invalid_json", "The body is not a JSON object.");
      return;
    }
    Parsed request;
    try {
      request = parse(ctx, body);
    } catch (ApiException e) {
      ApiErrors.send(ctx, e.status(), e.code(), e.getMessage());
      return;
    }
    String subject = ctx.get(GatewayAuth.SUBJECT);
    String key = ConversationIds.kafkaKey(subject, request.conversationId());
    int partition = Partitioning.partitionOf(key, partitions.getAsInt());
    if (ctx.request().getHeader("Last-Event-ID") != null) {
      resume(ctx, request, key, partition);
      return;
    }
    // The stream's place first: a completion refused for want of one doesn't spend a message of the rate
    // (a place taken and then refused by the rate is released when that answer ends).
    if (!gateway.admitStream(ctx) || !gateway.withinRate(ctx)) {
      return;
    }
    long now = System.currentTimeMillis();
    MessageRequest message = new MessageRequest(request.conversationId(), ConversationIds.newMessageId(now),
        request.text(), now, Optional.of(request.options()));
    TraceContext trace = GatewayVerticle.traceOf(ctx);
    ctx.response().putHeader("X-Conversation-Id", request.conversationId())
        .putHeader(TraceContext.HEADER, trace.header());
    // Subscribed before the message is stored: every event of its answer comes after this position.
    gateway.openStream(ctx.response(),
        new CompletionFormat(message.messageId(), request.stream(), request.includeUsage(), config.modelName()),
        request.conversationId(), key, partition, StreamStart.live());
    // Ending the response (here, with the error) unsubscribes it.
    gateway.accept(key, message, trace).onFailure(e ->
        ApiErrors.send(ctx, 503, "kafka_unavailable", "The message could not be stored; try again."));
  }

  private void resume(RoutingContext ctx, Parsed request, String key, int partition) {
    if (!request.conversationNamed()) {
      ApiErrors.badRequest(ctx, "missing_conversation_id",
          "Resuming with Last-Event-ID needs the conversation: 'conversation_id' or X-Conversation-Id.");
      return;
    }
    if (!gateway.admitStream(ctx)) {
      return;
    }
    streamStarts.resolve(ctx, key, partition)
        .onSuccess(start -> {
          ctx.response().putHeader("X-Conversation-Id", request.conversationId());
          gateway.openStream(ctx.response(), new CompletionFormat(null, true, request.includeUsage(), config.modelName()),
              request.conversationId(), key, partition, start);
        })
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The stream could not be resumed; try again."));
  }

  private record Parsed(String conversationId, boolean conversationNamed, String text, CompletionOptions options,
                        boolean stream, boolean includeUsage) {
  }

  private Parsed parse(RoutingContext ctx, JsonObject body) {
    String conversationId = body.getValue("conversation_id") instanceof String id ? id
        : ctx.request().getHeader("X-Conversation-Id");
    if (body.containsKey("conversation_id") && !(body.getValue("conversation_id") instanceof String)) {
      throw invalid("conversation_id", "'conversation_id' must be a string.");
    }
    boolean named = conversationId != null;
    if (named && !ConversationIds.isValid(conversationId)) {
      throw invalid("conversation_id", "Conversation ids match [A-Za-z0-9_-]{1,64}.");
    }
    if (!named) {
      conversationId = "chat-" + UUID.randomUUID();
    }
    if (!(body.getValue("messages") instanceof JsonArray messages) || messages.isEmpty()) {
      throw invalid("messages", "'messages' must be a non-empty array.");
    }
    if (messages.size() > MAX_MESSAGES) {
      throw invalid("messages", "At most " + MAX_MESSAGES + " messages.");
    }
    if (body.getValue("tools") instanceof JsonArray tools && !tools.isEmpty()) {
      throw invalid("tools", "Client-defined tools are not supported: Tokenrail's workers run their own tools.");
    }
    if (body.containsKey("n") && !Integer.valueOf(1).equals(body.getValue("n"))) {
      throw invalid("n", "Only n = 1 is supported.");
    }
    List<CompletionOptions.Prior> history = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      if (!(messages.getValue(i) instanceof JsonObject message)) {
        throw invalid("messages", "messages[" + i + "] must be an object.");
      }
      String role = message.getValue("role") instanceof String r ? r : "";
      String content = contentOf(message.getValue("content"), i);
      switch (role) {
        case "system", "developer" -> history.add(new CompletionOptions.Prior("system", content));
        case "user", "assistant" -> history.add(new CompletionOptions.Prior(role, content));
        case "tool", "function" -> throw invalid("messages",
            "messages[" + i + "]: tool results are not supported; Tokenrail's workers run their own tools.");
        default -> throw invalid("messages", "messages[" + i + "].role must be system, developer, user or assistant.");
      }
    }
    CompletionOptions.Prior last = history.remove(history.size() - 1);
    if (!last.role().equals("user") || last.content().isBlank()) {
      throw invalid("messages", "The last message must be the user's, with text.");
    }
    if (last.content().getBytes(StandardCharsets.UTF_8).length > config.maxTextBytes()) {
      throw new ApiException(400, "text_too_long", "The last message is longer than " + config.maxTextBytes() + " bytes.");
    }
    Optional<Double> temperature = Optional.empty();
    if (body.getValue("temperature") != null) {
      if (!(body.getValue("temperature") instanceof Number t) || t.doubleValue() < 0 || t.doubleValue() > 2) {
        throw invalid("temperature", "'temperature' must be a number from 0 to 2.");
      }
      temperature = Optional.of(t.doubleValue());
    }
    Optional<Integer> maxTokens = Optional.empty();
    for (String name : List.of("max_tokens", "max_completion_tokens")) {
      Object value = body.getValue(name);
      if (value != null) {
        if (!(value instanceof Integer n) || n < 1) {
          throw invalid(name, "'" + name + "' must be a positive integer.");
        }
        maxTokens = Optional.of(n);
      }
    }
    Object stream = body.getValue("stream");
    if (stream != null && !(stream instanceof Boolean)) {
      throw invalid("stream", "'stream' must be true or false.");
    }
    Object options = body.getValue("stream_options");
    if (options != null && !(options instanceof JsonObject)) {
      throw invalid("stream_options", "'stream_options' must be an object.");
    }
    boolean includeUsage = options instanceof JsonObject o && Boolean.TRUE.equals(o.getValue("include_usage"));
    return new Parsed(conversationId, named, last.content(), new CompletionOptions(history, temperature, maxTokens),
        Boolean.TRUE.equals(stream), includeUsage);
  }

  /** A message's text: a string, or an array of parts of which the text parts count. */
  private static String contentOf(Object content, int index) {
    if (content == null) {
      return "";
    }
    if (content instanceof String s) {
      return s;
    }
    if (content instanceof JsonArray parts) {
      StringBuilder text = new StringBuilder();
      for (Object part : parts) {
        if (part instanceof JsonObject p && "text".equals(p.getValue("type")) && p.getValue("text") instanceof String t) {
          text.append(t);
        } else {
          throw invalid("messages", "messages[" + index + "].content: only text parts are supported.");
        }
      }
      return text.toString();
    }
    throw invalid("messages", "messages[" + index + "].content must be a string or an array of text parts.");
  }

  private static ApiException invalid(String param, String message) {
    return new ApiException(400, "invalid_" + param, message);
  }
}
