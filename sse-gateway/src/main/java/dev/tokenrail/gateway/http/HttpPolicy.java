package dev.tokenrail.gateway.http;

import dev.tokenrail.runtime.Env;
import java.util.Arrays;
import java.util.List;

/**
 * What the gateway's HTTP server lets in: message size, request line and header sizes, and which browser
 * origins may call the API from other sites.
 *
 * @param maxTextBytes    largest accepted message text, in UTF-8 bytes; larger gets 413
 * @param corsOrigins     origins (e.g. {@code https://chat.example.com}) allowed cross-origin; none by default
 * @param maxUrlBytes     longest request target; longer gets 414
 * @param maxHeaderBytes  largest header block; larger gets 431
 */
public record HttpPolicy(int maxTextBytes, List<String> corsOrigins, int maxUrlBytes, int maxHeaderBytes) {

  public static final int DEFAULT_MAX_TEXT_BYTES = 32 * 1024;
  public static final HttpPolicy DEFAULT = new HttpPolicy(DEFAULT_MAX_TEXT_BYTES, List.of(), 4_096, 8_192);

  public HttpPolicy {
    corsOrigins = List.copyOf(corsOrigins);
    for (String origin : corsOrigins) {
      if (!origin.matches("https?://[A-Za-z0-9.-]+(:\\d{1,5})?")) {
        throw new IllegalArgumentException("TOKENRAIL_CORS_ORIGINS: '" + origin
            + "' is not an origin like https://chat.example.com (scheme, host, optional port; no path, no *)");
      }
    }
  }

  /**
   * {@code TOKENRAIL_MAX_TEXT_BYTES}, {@code TOKENRAIL_CORS_ORIGINS} (comma-separated),
   * {@code TOKENRAIL_MAX_URL_BYTES}, {@code TOKENRAIL_MAX_HEADER_BYTES}.
   */
  public static HttpPolicy fromEnv(Env env) {
    String origins = env.string("TOKENRAIL_CORS_ORIGINS", "").trim();
    return new HttpPolicy(
        env.intValue("TOKENRAIL_MAX_TEXT_BYTES", DEFAULT_MAX_TEXT_BYTES, 1, 16 * 1024 * 1024),
        origins.isEmpty() ? List.of() : Arrays.stream(origins.split(",")).map(String::trim).filter(o -> !o.isEmpty()).toList(),
        env.intValue("TOKENRAIL_MAX_URL_BYTES", DEFAULT.maxUrlBytes(), 256, 65_536),
        env.intValue("TOKENRAIL_MAX_HEADER_BYTES", DEFAULT.maxHeaderBytes(), 1_024, 65_536));
  }

  public HttpPolicy withCorsOrigins(List<String> origins) {
    return new HttpPolicy(maxTextBytes, origins, maxUrlBytes, maxHeaderBytes);
  }

  /** The native message body limit: the text limit plus room for JSON escaping and the envelope. */
  public int maxBodyBytes() {
    return maxTextBytes * 2 + 4_096;
  }
}
