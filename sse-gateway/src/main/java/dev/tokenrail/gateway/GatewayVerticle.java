package dev.tokenrail.gateway;

import dev.tokenrail.gateway.access.Admission;
import dev.tokenrail.gateway.access.CrossOrigin;
import dev.tokenrail.gateway.access.GatewayAuth;
import dev.tokenrail.gateway.aisdk.ChatRoutes;
import dev.tokenrail.gateway.api.ChatPage;
import dev.tokenrail.gateway.api.ConversationRoutes;
import dev.tokenrail.gateway.api.Probes;
import dev.tokenrail.gateway.conversations.ConversationStarts;
import dev.tokenrail.gateway.conversations.LogLookups;
import dev.tokenrail.gateway.conversations.MessageHistory;
import dev.tokenrail.gateway.conversations.MessageIntake;
import dev.tokenrail.gateway.conversations.Transcripts;
import dev.tokenrail.gateway.delivery.StreamStats;
import dev.tokenrail.gateway.delivery.Streams;
import dev.tokenrail.gateway.groups.GatewayGroup;
import dev.tokenrail.gateway.http.ApiErrors;
import dev.tokenrail.gateway.http.ResponseLifetime;
import dev.tokenrail.gateway.openai.ChatCompletions;
import dev.tokenrail.gateway.openai.Responses;
import dev.tokenrail.runtime.MeterScope;
import dev.tokenrail.runtime.Startup;
import dev.tokenrail.runtime.Telemetry;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.UUID;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of Tokenrail: accepts chat messages onto the requests topic and streams each
 * conversation's events to its SSE clients. It only wires the gateway's parts together and holds the
 * route table: {@code http} (errors, request parsing, the caller), {@code access} (authentication,
 * limits, origins), {@code conversations} (message intake and what the log says about a conversation),
 * {@code delivery} (SSE streams), and the APIs built on them, {@code api} and {@code openai}.
 */
public final class GatewayVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(GatewayVerticle.class);

  private final GatewayConfig config;
  /** This gateway's meters and its Kafka clients' metrics, removed when it stops. */
  private final MeterScope meters = new MeterScope();
  private KafkaProducer<String, Buffer> requests;
  private KafkaAdminClient admin;
  private LogLookups lookups;
  private ConversationStarts starts;
  private Transcripts transcripts;
  private Streams streams;
  private Admission admission;
  /** Null when authentication is off. */
  private GatewayAuth auth;
  private GatewayGroup group;
  private HttpServer server;
  /** Runs just before the gateway listens: frees its port (see {@link #takingPortFrom}). */
  private java.util.function.Supplier<Future<Void>> beforeListening = Future::succeededFuture;
  private String instanceId;

  public GatewayVerticle(GatewayConfig config) {
    this.config = config;
  }

  /** The port the server listens on (differs from the configured one when that was 0). */
  /**
   * The port is held until now by another server (the {@code Standby} that answered while Kafka refused the
   * process): it is closed just before this gateway listens, so the port answers all along — an orchestrator
   * whose liveness probe saw {@code /health} must not see the port go silent while the gateway starts.
   */
  public GatewayVerticle takingPortFrom(HttpServer standby) {
    beforeListening = () -> standby.close();
    return this;
  }

  public int actualPort() {
    return server.actualPort();
  }

  /** This gateway's id: its Kafka clients' ids start with it, and its meters carry it as the {@code gateway} tag. */
  public String instanceId() {
    return instanceId;
  }

  /** Read on the gateway's own context, from any thread. */
  public Future<StreamStats> streamStats() {
    Promise<StreamStats> stats = Promise.promise();
    context.runOnContext(v -> stats.complete(streams.stats()));
    return stats.future();
  }

  @Override
  public Future<?> start() {
    instanceId = "gateway-" + UUID.randomUUID().toString().substring(0, 8);
    if (!config.auth().enabled()) {
      log.warn("AUTHENTICATION IS OFF: anyone who reaches this gateway can read and write every conversation."
          + " Set TOKENRAIL_JWT_SECRET or TOKENRAIL_JWT_PUBLIC_KEY to require bearer tokens.");
    } else {
      log.info("API calls need a bearer JWT: {}", config.auth());
    }
    requests = MessageIntake.requestsProducer(vertx, config.kafka(), instanceId);
    meters.bindKafka(requests.unwrap());
    admin = KafkaAdminClient.create(vertx, config.kafka().adminConfig());
    lookups = new LogLookups(vertx, config.kafka(), instanceId, meters);
    // A gateway group reads only its partitions of the topics it follows; unset, every partition (broadcast).
    IntPredicate owned = config.groups()::owns;
    log.info("Gateway serves {}", config.groups());
    starts = new ConversationStarts(vertx, config.kafka(), instanceId, requests, lookups, owned);
    transcripts = new Transcripts(vertx, config.kafka(), instanceId, lookups, owned);
    // The two indexes that grow with conversations (until retention erases them): watched, not capped.
    meters.add(Gauge.builder("tokenrail.index.conversations", starts, ConversationStarts::size).tag("index", "starts")
        .tag("gateway", instanceId).description("conversations in the gateway's index").register(Telemetry.registry()));
    meters.add(Gauge.builder("tokenrail.index.conversations", transcripts, Transcripts::size).tag("index", "transcripts")
        .tag("gateway", instanceId).description("conversations in the gateway's index").register(Telemetry.registry()));
    streams = new Streams(vertx, config.kafka(), config.delivery(), instanceId, meters, lookups, starts, owned);
    group = new GatewayGroup(config.groups(), streams::partitionCount, instanceId, meters);
    admission = new Admission(config.limits(), instanceId, meters);
    vertx.setPeriodic(60_000, id -> admission.evictIdle());
    Future<GatewayAuth> authReady = config.auth().enabled() ? GatewayAuth.create(vertx, config.auth())
        : Future.succeededFuture();
    return authReady.onSuccess(a -> auth = a)
        .compose(v -> lookups.start())
        .compose(v -> lookups.partitionCounts(config.kafka().topics().partitioned()))
        .map(counts -> config.kafka().topics().requireOnePartitionCount(counts)) // or refuse to start, saying why
        .map(count -> {
          config.groups().requireWithin(count); // likewise
          return count;
        })
        .compose(v -> streams.start())
        .compose(v -> starts.start())
        .compose(v -> transcripts.start())
        .compose(v -> beforeListening.get())
        .compose(v -> Startup.listening(vertx.createHttpServer(withoutWebSockets(new HttpServerOptions()).setPort(config.port())
                // the request line is the method, the target and the version: room for the first and last
                .setMaxInitialLineLength(config.http().maxUrlBytes() + 32)
                .setMaxHeaderSize(config.http().maxHeaderBytes())
                // No cleartext HTTP/2 upgrade: large responses after the upgrade (/metrics) were unreadable to
                // the JDK's client and curl. HTTP/1.1 it is; HTTP/2 belongs to the TLS proxy in front.
                .setHttp2ClearTextEnabled(false))
            .requestHandler(routes(instanceId))
            .listen(), "HTTP (PORT)", config.port()))
        .onSuccess(s -> server = s);
  }

  @Override
  public Future<?> stop() {
    return streams.close()
        .eventually(() -> lookups.close())
        .eventually(() -> starts.close())
        .eventually(() -> transcripts.close())
        .eventually(() -> {
          meters.close();
          return requests.close();
        })
        .eventually(() -> admin.close());
  }

  private Router routes(String instanceId) {
    MessageIntake intake = new MessageIntake(config.kafka(), requests, starts, instanceId, meters);
    MessageHistory history = new MessageHistory(lookups, starts, config.kafka().topics().requests(), streams::partitionCount,
        config.delivery().replayClockSkew());
    ConversationRoutes conversations = new ConversationRoutes(config.http(), admission, intake, history, starts,
        transcripts, streams);
    ChatCompletions completions = new ChatCompletions(config.modelName(), config.http().maxTextBytes(), admission,
        intake, streams, group);
    Responses responses = new Responses(config.modelName(), config.http().maxTextBytes(), admission, intake, history,
        transcripts, starts, streams, group);
    ChatRoutes useChat = new ChatRoutes(config.http().maxTextBytes(), admission, intake, history, transcripts,
        streams, group);
    Probes probes = new Probes(() -> streams.ready() && starts.restored() && transcripts.restored(), admin,
        config.groups().owned().map(Object::toString));
    ChatPage chatPage = ChatPage.load();

    Router router = Router.router(vertx);
    router.route().handler(ctx -> {
      ResponseLifetime.install(ctx); // before anything takes a place that its end must give back
      ctx.response().putHeader("X-Content-Type-Options", "nosniff"); // never sniffed into another type
      try {
        ctx.request().params(); // decoded once here: a malformed query ("%ZZ") is the client's error, not a 500
      } catch (IllegalArgumentException e) {
        ApiErrors.badRequest(ctx, "invalid_query", "The query string is not valid percent-encoding.");
        return;
      }
      ctx.next();
    });
    if (!config.http().corsOrigins().isEmpty()) {
      router.routeWithRegex("/(api|v1)/.*").handler(CrossOrigin.handler(config.http()));
    }
    if (auth != null) { // every API call, after CORS (a preflight carries no token) and before any body
      router.route("/api/*").handler(auth::handle);
      router.route("/v1/*").handler(auth::handle);
      if (config.auth().protectMetrics()) {
        router.get("/metrics").handler(auth::handle);
      }
    }
    // Before any body is read: a conversation another gateway group serves is redirected there (307), path and
    // query kept. Conversations named in a body (POST /api/chat, /v1/...) are checked by their routes.
    Handler<RoutingContext> inGroup = group.byPath(GatewayGroup::pathConversation);
    router.route("/api/conversations/:id").handler(inGroup);
    router.route("/api/conversations/:id/*").handler(inGroup);
    router.route("/api/chat/:id/*").handler(inGroup);
    router.route("/v1/responses/:id").handler(group.byPath(Responses::conversationOfPath));
    router.route("/v1/responses/:id/*").handler(group.byPath(Responses::conversationOfPath));
    router.post("/api/conversations/:id/messages")
        .consumes("application/json")
        .handler(BodyHandler.create(false).setBodyLimit(config.http().maxBodyBytes()))
        .handler(conversations::postMessage);
    router.get("/api/conversations/:id/events").handler(conversations::streamEvents);
    router.get("/api/conversations/:id").handler(conversations::transcript);
    router.delete("/api/conversations/:id").handler(conversations::deleteConversation);
    router.post("/api/conversations/:id/cancel")
        .consumes("application/json")
        .handler(BodyHandler.create(false).setBodyLimit(4_096))
        .handler(conversations::cancelMessage);
    router.post("/api/chat")
        .consumes("application/json")
        .handler(BodyHandler.create(false).setBodyLimit(ChatRoutes.MAX_BODY_BYTES))
        .handler(useChat::chat);
    router.get("/api/chat/:id/stream").handler(useChat::resume);
    router.post("/api/chat/:id/stop")
        .handler(BodyHandler.create(false).setBodyLimit(4_096)) // an optional {"messageId"}; no body is fine
        .handler(useChat::stop);
    router.post("/v1/chat/completions")
        .consumes("application/json")
        .handler(BodyHandler.create(false).setBodyLimit(ChatCompletions.MAX_BODY_BYTES))
        .handler(completions::complete);
    router.post("/v1/responses")
        .consumes("application/json")
        .handler(BodyHandler.create(false).setBodyLimit(ChatCompletions.MAX_BODY_BYTES))
        .handler(responses::create);
    router.get("/v1/responses/:id").handler(responses::retrieve);
    router.post("/v1/responses/:id/cancel").handler(responses::cancel);
    router.delete("/v1/responses/:id").handler(responses::delete);
    router.get("/v1/responses/:id/input_items").handler(responses::inputItems);
    router.get("/v1/models").handler(completions::models);
    router.get("/v1/models/:model").handler(completions::oneModel);
    router.get("/health").handler(probes::health);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(Telemetry.registry()));
    router.get("/ready").handler(probes::ready);
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

  /**
   * {@code options} serving no WebSockets. Otherwise every connection's pipeline carries a WebSocket extension handler
   * and its deflate handshakers, made for each connection and passed through by every read and write; the gateway
   * speaks SSE and plain HTTP only. The benchmark's bare servers take the same, so they compare like with like.
   */
  public static HttpServerOptions withoutWebSockets(HttpServerOptions options) {
    return options.setPerFrameWebSocketCompressionSupported(false).setPerMessageWebSocketCompressionSupported(false);
  }

}
