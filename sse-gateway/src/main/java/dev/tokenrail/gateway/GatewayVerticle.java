package dev.tokenrail.gateway;

import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.runtime.MeterScope;
import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.RequestRecord;
import dev.tokenrail.runtime.Telemetry;
import dev.tokenrail.protocol.TraceContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of Tokenrail: accepts chat messages onto the requests topic and streams each
 * conversation's events to its SSE clients from the gateway's {@link EventsReader}.
 */
public final class GatewayVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(GatewayVerticle.class);

  private final GatewayConfig config;
  private final Set<Subscription> streams = new HashSet<>();
  private EventsReader reader;
  private CatchUpReader catchUp;
  private ConversationStarts starts;
  private StreamStarts streamStarts;
  private MessageHistory history;
  private Transcripts transcripts;
  private GatewayMetrics metrics;
  /** This gateway's meters and its Kafka clients' metrics, removed when it stops. */
  private final MeterScope meters = new MeterScope();
  private final ChatPage chatPage = ChatPage.load();
  private KafkaProducer<String, Buffer> requests;
  private KafkaAdminClient admin;
  private SubjectLimits limits;
  /** Null when authentication is off. */
  private GatewayAuth auth;
  private HttpServer server;

  public GatewayVerticle(GatewayConfig config) {
    this.config = config;
  }

  /** The port the server listens on (differs from the configured one when that was 0). */
  public int actualPort() {
    return server.actualPort();
  }

  /** Open SSE streams, and how many of them are catching up or stalled. */
  public record StreamStats(int open, long catchingUp, long behind) {
  }

  /** Read on the gateway's own context, from any thread. */
  public Future<StreamStats> streamStats() {
    Promise<StreamStats> stats = Promise.promise();
    context.runOnContext(v -> stats.complete(new StreamStats(reader.subscriptionCount(),
        reader.subscriptionsIn(Subscription.Mode.CATCHING_UP), reader.subscriptionsIn(Subscription.Mode.BEHIND))));
    return stats.future();
  }

  @Override
  public Future<?> start() {
    String instanceId = "gateway-" + UUID.randomUUID().toString().substring(0, 8);
    if (!config.auth().enabled()) {
      log.warn("AUTHENTICATION IS OFF: anyone who reaches this gateway can read and write every conversation."
          + " Set TOKENRAIL_JWT_SECRET or TOKENRAIL_JWT_PUBLIC_KEY to require bearer tokens.");
    } else {
      log.info("API calls need a bearer JWT: {}", config.auth());
    }
    requests = KafkaProducer.create(vertx, requestsProducerConfig(instanceId));
    meters.bindKafka(requests.unwrap());
    admin = KafkaAdminClient.create(vertx, config.kafka().adminConfig());
    reader = new EventsReader(vertx, config.kafka(), instanceId, meters);
    catchUp = new CatchUpReader(vertx, config.kafka(), instanceId, reader);
    starts = new ConversationStarts(vertx, config.kafka(), instanceId, requests);
    streamStarts = new StreamStarts(catchUp, starts, config.replayClockSkew());
    transcripts = new Transcripts(vertx, config.kafka(), instanceId, catchUp);
    history = new MessageHistory(catchUp, config.kafka().topics().requests(), reader::partitionCount, config.replayClockSkew());
    vertx.setPeriodic(config.keepAlive().toMillis(), id -> streams.forEach(Subscription::ping));
    metrics = new GatewayMetrics(instanceId, meters);
    metrics.gauges(streams::size, () -> reader.lag());
    vertx.setPeriodic(5_000, id -> reader.sampleLag());
    limits = new SubjectLimits(config.limits());
    vertx.setPeriodic(60_000, id -> limits.evictIdle());
    Future<GatewayAuth> authReady = config.auth().enabled() ? GatewayAuth.create(vertx, config.auth())
        : Future.succeededFuture();
    return authReady.onSuccess(a -> auth = a)
        .compose(v -> reader.start())
        .compose(v -> catchUp.start(config.catchUpReaders()))
        .compose(v -> starts.start())
        .compose(v -> transcripts.start())
        .compose(v -> vertx.createHttpServer(new HttpServerOptions().setPort(config.port())
                // the request line is the method, the target and the version: room for the first and last
                .setMaxInitialLineLength(config.http().maxUrlBytes() + 32)
                .setMaxHeaderSize(config.http().maxHeaderBytes())
                // No cleartext HTTP/2 upgrade: large responses after the upgrade (/metrics) were unreadable to
                // the JDK's client and curl. HTTP/1.1 it is; HTTP/2 belongs to the TLS proxy in front.
                .setHttp2ClearTextEnabled(false))
            .requestHandler(routes())
            .listen())
        .onSuccess(s -> server = s);
  }

  @Override
  public Future<?> stop() {
    return reader.close()
        .eventually(() -> catchUp.close())
        .eventually(() -> starts.close())
        .eventually(() -> transcripts.close())
        .eventually(() -> {
          meters.close();
          return requests.close();
        })
        .eventually(() -> admin.close());
  }

  private Router routes() {
    Router router = Router.router(vertx);
    router.route().handler(ctx -> { // no response is ever sniffed into another type by a browser
      ctx.response().putHeader("X-Content-Type-Options", "nosniff");
      try {
        ctx.request().params(); // decoded once here: a malformed query ("%ZZ") is the client's error, not a 500
      } catch (IllegalArgumentException e) {
        ApiErrors.badRequest(ctx, "invalid_query", "The query string is not valid percent-encoding.");
        return;
      }
      ctx.next();
    });
    if (!config.http().corsOrigins().isEmpty()) {
      router.routeWithRegex("/(api|v1)/.*").handler(CorsHandler.create()
          .addOrigins(config.http().corsOrigins())
          .allowedMethods(java.util.Set.of(HttpMethod.GET, HttpMethod.POST))
          .allowedHeaders(java.util.Set.of("Content-Type", "Authorization", "Last-Event-ID", TraceContext.HEADER,
              "X-Conversation-Id"))
          .exposedHeaders(java.util.Set.of(TraceContext.HEADER, "X-Conversation-Id"))
          .maxAgeSeconds(600));
    }
    if (auth != null) { // every API call, after CORS (a preflight carries no token) and before any body
      router.route("/api/*").handler(auth::handle);
      router.route("/v1/*").handler(auth::handle);
      if (config.auth().protectMetrics()) {
        router.get("/metrics").handler(auth::handle);
      }
    }
    router.post("/api/conversations/:id/messages")
        .consumes("application/json")
        .handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()))
        .handler(this::postMessage);
    router.get("/api/conversations/:id/events").handler(this::streamEvents);
    router.get("/api/conversations/:id").handler(this::transcript);
    router.post("/api/conversations/:id/cancel")
        .consumes("application/json")
        .handler(BodyHandler.create(false).setBodyLimit(4_096))
        .handler(this::cancelMessage);
    ChatCompletions completions = new ChatCompletions(this, config, streamStarts, reader::partitionCount);
    router.post("/v1/chat/completions")
        .consumes("application/json")
        .handler(BodyHandler.create(false).setBodyLimit(ChatCompletions.MAX_BODY_BYTES))
        .handler(completions::complete);
    router.get("/v1/models").handler(completions::models);
    router.get("/v1/models/:model").handler(completions::oneModel);
    router.get("/health").handler(this::health);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(Telemetry.registry()));
    router.get("/ready").handler(this::ready);
    router.get("/").handler(chatPage::serve);

    router.errorHandler(400, ctx -> ApiErrors.badRequest(ctx, "bad_request", "The request is malformed."));
    router.errorHandler(403, ctx -> ApiErrors.send(ctx, 403, "origin_not_allowed", "This origin may not call the API."));
    router.errorHandler(404, ctx -> ApiErrors.send(ctx, 404, "not_found", "No such resource."));
    router.errorHandler(405, ctx -> ApiErrors.send(ctx, 405, "method_not_allowed", "Method not allowed here."));
    router.errorHandler(413, ctx -> ApiErrors.send(ctx, 413, "body_too_large", "The request body is too large."));
    router.errorHandler(415, ctx -> ApiErrors.send(ctx, 415, "unsupported_media_type",
        "Send the body as application/json."));
    router.errorHandler(500, ctx -> {
      log.error("Unhandled failure on {} {}", ctx.request().method(), ctx.request().path(), ctx.failure());
      ApiErrors.send(ctx, 500, "internal", "Internal error.");
    });
    return router;
  }

  // ---- routes ----

  private void postMessage(RoutingContext ctx) {
    String conversationId = conversationId(ctx);
    if (conversationId == null) {
      return;
    }
    JsonObject body = jsonBody(ctx);
    if (body == null) {
      return;
    }
    Object text = body.getValue("text");
    if (!(text instanceof String s) || s.isBlank()) {
      ApiErrors.badRequest(ctx, "missing_text", "The body needs a non-empty string field 'text'.");
      return;
    }
    if (s.getBytes(StandardCharsets.UTF_8).length > config.maxTextBytes()) {
      ApiErrors.send(ctx, 413, "text_too_long", "'text' is longer than " + config.maxTextBytes() + " bytes.");
      return;
    }
    if (!withinRate(ctx)) {
      return;
    }
    long now = System.currentTimeMillis();
    String key = ConversationIds.kafkaKey(ctx.get(GatewayAuth.SUBJECT), conversationId);
    MessageRequest request = new MessageRequest(conversationId, ConversationIds.newMessageId(now), s, now);
    TraceContext trace = traceOf(ctx);
    accept(key, request, trace)
        .onSuccess(v -> ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
            .putHeader(TraceContext.HEADER, trace.header())
            .end(new JsonObject().put("conversationId", conversationId).put("messageId", request.messageId()).encode()))
        .onFailure(e -> ApiErrors.send(ctx, 503, "kafka_unavailable", "The message could not be stored; try again."));
  }

  /** The client's trace continued here, or a new one: it travels with the request to the worker and its events. */
  static TraceContext traceOf(RoutingContext ctx) {
    return TraceContext.parse(ctx.request().getHeader(TraceContext.HEADER)).map(TraceContext::child)
        .orElseGet(TraceContext::newTrace);
  }

  /**
   * Stores a message on the requests topic under the conversation's key; succeeds once Kafka has it. The
   * conversation's start (its first message only) is written beside the request, not before it: one
   * round trip less on the way to the first token. The request decides: stored even if the start record
   * is not (the next message of the conversation writes it again).
   */
  Future<Void> accept(String key, MessageRequest request, TraceContext trace) {
    KafkaProducerRecord<String, Buffer> record = KafkaProducerRecord.create(config.kafka().topics().requests(), key,
        ProtocolCodec.encode(request));
    record.addHeader(TraceContext.HEADER, trace.header());
    Future<Void> start = starts.recordStart(key, request.ts());
    return requests.send(record)
        .compose(m -> start.otherwiseEmpty())
        .onSuccess(m -> {
          metrics.accepted();
          log.info("Accepted: conversationId={} messageId={} traceId={}", request.conversationId(), request.messageId(),
              trace.traceId());
        })
        .onFailure(e -> log.warn("Request not accepted by Kafka: conversationId={}: {}", request.conversationId(),
            e.toString()))
        .mapEmpty();
  }

  /**
   * Asks the worker generating a message to stop, through Kafka, in order with the conversation. 202 once
   * the cancel is stored; 404 for a message this conversation never had; 409 when it has already ended.
   */
  private void cancelMessage(RoutingContext ctx) {
    String conversationId = conversationId(ctx);
    if (conversationId == null) {
      return;
    }
    JsonObject body = jsonBody(ctx);
    if (body == null) {
      return;
    }
    if (!(body.getValue("messageId") instanceof String messageId) || ConversationIds.acceptedAt(messageId).isEmpty()) {
      ApiErrors.badRequest(ctx, "invalid_message_id", "The body needs the 'messageId' of a message.");
      return;
    }
    String key = ConversationIds.kafkaKey(ctx.get(GatewayAuth.SUBJECT), conversationId);
    history.status(key, messageId)
        .compose(status -> switch (status) {
          case UNKNOWN -> Future.failedFuture(new ApiException(404, "unknown_message", "This conversation has no such message."));
          case ENDED -> Future.failedFuture(new ApiException(409, "already_finished", "This message has already ended."));
          case NOT_ENDED -> requests.send(KafkaProducerRecord.create(config.kafka().topics().requests(), key,
              ProtocolCodec.encode(new RequestRecord.Cancel(conversationId, messageId, System.currentTimeMillis()))));
        })
        .onSuccess(m -> ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("conversationId", conversationId).put("messageId", messageId).encode()))
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The cancel could not be stored; try again."));
  }

  /** Takes one message from the caller's rate limit; false after answering 429 when it has none left. */
  boolean withinRate(RoutingContext ctx) {
    java.util.OptionalLong retryAfter = limits.tryMessage(ctx.get(GatewayAuth.SUBJECT));
    if (retryAfter.isPresent()) {
      ctx.response().putHeader("Retry-After", Long.toString(retryAfter.getAsLong()));
      ApiErrors.send(ctx, 429, "rate_limited", "Too many messages; try again in " + retryAfter.getAsLong() + " s.");
      return false;
    }
    return true;
  }

  /**
   * Counts the stream in against the caller's and the gateway's caps until its response ends or its
   * connection closes; false after answering 429 (the caller's cap) or 503 (the gateway's).
   */
  boolean admitStream(RoutingContext ctx) {
    String subject = ctx.get(GatewayAuth.SUBJECT);
    switch (limits.tryOpenStream(subject)) {
      case ADMITTED -> {
        ctx.addEndHandler(v -> limits.closeStream(subject));
        return true;
      }
      case SUBJECT_FULL -> {
        ctx.response().putHeader("Retry-After", "10");
        ApiErrors.send(ctx, 429, "too_many_streams",
            "You have " + config.limits().maxStreamsPerSubject() + " streams open; close one first.");
      }
      case GATEWAY_FULL -> {
        ctx.response().putHeader("Retry-After", "5");
        ApiErrors.send(ctx, 503, "gateway_full", "This gateway has no room for another stream; try again.");
      }
    }
    return false;
  }

  /** The body as a JSON object, or null after answering 400. */
  private static JsonObject jsonBody(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject(); // null for an empty body
    } catch (RuntimeException e) {
      body = null;
    }
    if (body == null) {
      ApiErrors.badRequest(ctx, "invalid_json", "The body is not a JSON object.");
    }
    return body;
  }

  private void streamEvents(RoutingContext ctx) {
    String conversationId = conversationId(ctx);
    if (conversationId == null) {
      return;
    }
    if (!admitStream(ctx)) {
      return;
    }
    String key = ConversationIds.kafkaKey(ctx.get(GatewayAuth.SUBJECT), conversationId);
    int partition = Partitioning.partitionOf(key, reader.partitionCount());
    streamStarts.resolve(ctx, key, partition)
        .onSuccess(start -> openStream(ctx.response(), StreamFormat.NATIVE, conversationId, key, partition, start))
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The stream could not be opened; try again."));
  }

  /** Subscribes a response to the conversation's events from {@code start}, written in {@code format}. */
  void openStream(HttpServerResponse response, StreamFormat format, String conversationId, String key, int partition,
                  StreamStart start) {
    if (response.closed()) {
      return;
    }
    Subscription subscription = new Subscription(response, format, conversationId, key, partition,
        start.fromOffset().orElse(reader.liveNext(partition)));
    reader.add(subscription);
    streams.add(subscription);
    Runnable remove = () -> { // the client went, or a format wrote its last bytes
      reader.remove(subscription);
      streams.remove(subscription);
      subscription.closed();
    };
    response.closeHandler(v -> remove.run());
    response.endHandler(v -> remove.run());
    subscription.open(config.sseWriteQueueBytes(), catchUp::catchUp, metrics);
    start.resetReason().ifPresent(subscription::reset);
    if (start.fromOffset().isPresent()) {
      catchUp.catchUp(subscription);
    } else {
      subscription.goLive();
    }
  }

  /**
   * The conversation's messages as the workers remembered them. A conversation whose messages were
   * accepted but not yet taken by a worker has an empty transcript; one never seen is 404.
   */
  private void transcript(RoutingContext ctx) {
    String conversationId = conversationId(ctx);
    if (conversationId == null) {
      return;
    }
    String key = ConversationIds.kafkaKey(ctx.get(GatewayAuth.SUBJECT), conversationId);
    transcripts.turns(key)
        .compose(turns -> {
          if (turns.isEmpty() && starts.startedAt(key).isEmpty()) {
            return Future.failedFuture(new ApiException(404, "unknown_conversation", "No such conversation."));
          }
          return Future.succeededFuture(Transcripts.toJson(conversationId, turns.orElse(java.util.List.of())));
        })
        .onSuccess(ctx::json)
        .onFailure(e -> ApiErrors.refuseOrUnavailable(ctx, e, "The transcript could not be read; try again."));
  }

  private void health(RoutingContext ctx) {
    ctx.json(new JsonObject().put("status", "UP"));
  }

  private void ready(RoutingContext ctx) {
    if (!reader.assigned() || !starts.restored() || !transcripts.restored()) {
      ctx.response().setStatusCode(503);
      ctx.json(new JsonObject().put("status", "DOWN").put("reason", "events reader not assigned"));
      return;
    }
    admin.describeCluster()
        .onSuccess(c -> ctx.json(new JsonObject().put("status", "UP").put("kafkaNodes", c.getNodes().size())))
        .onFailure(e -> {
          ctx.response().setStatusCode(503);
          ctx.json(new JsonObject().put("status", "DOWN").put("reason", "Kafka unreachable"));
        });
  }

  /** The path's conversation id, or null after answering 400. */
  private static String conversationId(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!ConversationIds.isValid(id)) {
      ApiErrors.badRequest(ctx, "invalid_conversation_id", "Conversation ids match [A-Za-z0-9_-]{1,64}.");
      return null;
    }
    return id;
  }

  /** The requests producer answers within seconds when Kafka is away, so a POST gets 503 rather than hanging. */
  private Map<String, String> requestsProducerConfig(String instanceId) {
    Map<String, String> c = config.kafka().producerConfig(instanceId);
    c.put("max.block.ms", "5000");
    c.put("request.timeout.ms", "4000");
    c.put("delivery.timeout.ms", "10000");
    // A message is one record a user waits on, not part of a stream of thousands: send it at once.
    c.put("linger.ms", "0");
    return c;
  }
}
