package dev.tokenrail.gateway;

import dev.tokenrail.model.Env;
import dev.tokenrail.model.KafkaSettings;
import java.time.Duration;

/**
 * Everything a gateway needs, read once in {@code main} (or built by a test).
 *
 * @param port              HTTP port; 0 picks a free one (tests)
 * @param maxTextBytes      largest accepted message text, in UTF-8 bytes; larger gets 413
 * @param keepAlive         interval of the {@code : ping} comment on every SSE stream
 * @param sseBacklogEvents  events held for a client whose socket is not draining, before it is cut off
 */
public record GatewayConfig(KafkaSettings kafka, int port, int maxTextBytes, Duration keepAlive, int sseBacklogEvents) {

  public static final int DEFAULT_MAX_TEXT_BYTES = 32 * 1024;

  public static GatewayConfig fromEnv(Env env, String defaultBootstrap) {
    return new GatewayConfig(
        KafkaSettings.fromEnv(env, defaultBootstrap),
        env.intValue("PORT", 8080, 0, 65_535),
        env.intValue("TOKENRAIL_MAX_TEXT_BYTES", DEFAULT_MAX_TEXT_BYTES, 1, 16 * 1024 * 1024),
        Duration.ofSeconds(env.intValue("TOKENRAIL_SSE_KEEPALIVE_SECONDS", 15, 1, 3_600)),
        env.intValue("TOKENRAIL_SSE_BACKLOG_EVENTS", 1_024, 1, 1_000_000));
  }

  /** The request body limit: the text limit plus room for JSON escaping and the envelope. */
  int maxBodyBytes() {
    return maxTextBytes * 2 + 4_096;
  }
}
