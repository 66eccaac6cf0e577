package dev.tokenrail.gateway;

import dev.tokenrail.runtime.Env;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.ModelName;
import java.time.Duration;

/**
 * Everything a gateway needs, read once in {@code main} (or built by a test).
 *
 * @param port              HTTP port; 0 picks a free one (tests)
 * @param maxTextBytes      largest accepted message text, in UTF-8 bytes; larger gets 413
 * @param keepAlive         interval of the {@code : ping} comment on every SSE stream
 * @param replayClockSkew   how far before a message's acceptance time a replay looks for its first event
 *                          (the worker's clock stamps the events, the gateway's the message id)
 * @param catchUpReaders    consumers that serve resumes and replays
 * @param sseWriteQueueBytes bytes a stream may queue in the gateway before it counts as behind and is
 *                          continued from the log instead: the memory bound of a stalled client
 * @param http              request size limits and CORS
 * @param auth              how API calls are authenticated; {@link AuthSettings#NONE} leaves the API open
 * @param limits            message rate and open streams per subject, open streams per gateway
 * @param modelName         the model {@code GET /v1/models} lists (the workers' configured model)
 */
public record GatewayConfig(KafkaSettings kafka, int port, int maxTextBytes, Duration keepAlive,
                            Duration replayClockSkew, int catchUpReaders, int sseWriteQueueBytes, HttpPolicy http,
                            AuthSettings auth, ClientLimits limits, String modelName) {

  public static final int DEFAULT_MAX_TEXT_BYTES = 32 * 1024;
  /** A quarter of Vert.x's default: the kernel's socket buffer takes bursts, the log takes the rest. */
  public static final int DEFAULT_SSE_WRITE_QUEUE_BYTES = 16 * 1024;

  public static GatewayConfig fromEnv(Env env, String defaultBootstrap) {
    return new GatewayConfig(
        KafkaSettings.fromEnv(env, defaultBootstrap),
        env.intValue("PORT", 8080, 0, 65_535),
        env.intValue("TOKENRAIL_MAX_TEXT_BYTES", DEFAULT_MAX_TEXT_BYTES, 1, 16 * 1024 * 1024),
        Duration.ofSeconds(env.intValue("TOKENRAIL_SSE_KEEPALIVE_SECONDS", 15, 1, 3_600)),
        Duration.ofMillis(env.intValue("TOKENRAIL_REPLAY_CLOCK_SKEW_MS", 5_000, 0, 600_000)),
        env.intValue("TOKENRAIL_CATCHUP_READERS", 2, 1, 64),
        env.intValue("TOKENRAIL_SSE_WRITE_QUEUE_BYTES", DEFAULT_SSE_WRITE_QUEUE_BYTES, 1_024, 16 * 1024 * 1024),
        HttpPolicy.fromEnv(env),
        AuthSettings.fromEnv(env),
        ClientLimits.fromEnv(env),
        ModelName.fromEnv(env));
  }

  /** The defaults, on a given cluster and port. */
  public static GatewayConfig defaults(KafkaSettings kafka, int port) {
    return new GatewayConfig(kafka, port, DEFAULT_MAX_TEXT_BYTES, Duration.ofSeconds(15), Duration.ofSeconds(5), 2,
        DEFAULT_SSE_WRITE_QUEUE_BYTES, HttpPolicy.DEFAULT, AuthSettings.NONE,
        ClientLimits.DEFAULT, "demo");
  }

  public GatewayConfig withKeepAlive(Duration interval) {
    return new GatewayConfig(kafka, port, maxTextBytes, interval, replayClockSkew, catchUpReaders, sseWriteQueueBytes, http,
        auth, limits, modelName);
  }

  public GatewayConfig withHttp(HttpPolicy policy) {
    return new GatewayConfig(kafka, port, maxTextBytes, keepAlive, replayClockSkew, catchUpReaders, sseWriteQueueBytes, policy,
        auth, limits, modelName);
  }

  public GatewayConfig withAuth(AuthSettings settings) {
    return new GatewayConfig(kafka, port, maxTextBytes, keepAlive, replayClockSkew, catchUpReaders, sseWriteQueueBytes, http,
        settings, limits, modelName);
  }

  public GatewayConfig withLimits(ClientLimits clientLimits) {
    return new GatewayConfig(kafka, port, maxTextBytes, keepAlive, replayClockSkew, catchUpReaders, sseWriteQueueBytes, http,
        auth, clientLimits, modelName);
  }

  public GatewayConfig withModelName(String name) {
    return new GatewayConfig(kafka, port, maxTextBytes, keepAlive, replayClockSkew, catchUpReaders, sseWriteQueueBytes, http,
        auth, limits, name);
  }

  /** The request body limit: the text limit plus room for JSON escaping and the envelope. */
  int maxBodyBytes() {
    return maxTextBytes * 2 + 4_096;
  }
}
