package dev.tokenrail.gateway;

import dev.tokenrail.runtime.Env;
import java.util.Arrays;
import java.util.List;

/**
 * What the gateway's HTTP server lets in: request line and header sizes, and which browser origins may
 * call the API from other sites.
 *
 * @param corsOrigins     origins (e.g. {@code https://chat.example.com}) allowed cross-origin; none by default
 * @param maxUrlBytes     longest request target; longer gets 414
 * @param maxHeaderBytes  largest header block; larger gets 431
 */
public record HttpPolicy(List<String> corsOrigins, int maxUrlBytes, int maxHeaderBytes) {

  public static final HttpPolicy DEFAULT = new HttpPolicy(List.of(), 4_096, 8_192);

  public HttpPolicy {
    corsOrigins = List.copyOf(corsOrigins);
    for (String origin : corsOrigins) {
      if (!origin.matches("https?://[A-Za-z0-9.-]+(:\\d{1,5})?")) {
        throw new IllegalArgumentException("TOKENRAIL_CORS_ORIGINS: '" + origin
            + "' is not an origin like https://chat.example.com (scheme, host, optional port; no path, no *)");
      }
    }
  }

  /** {@code TOKENRAIL_CORS_ORIGINS} (comma-separated), {@code TOKENRAIL_MAX_URL_BYTES}, {@code TOKENRAIL_MAX_HEADER_BYTES}. */
  public static HttpPolicy fromEnv(Env env) {
    String origins = env.string("TOKENRAIL_CORS_ORIGINS", "").trim();
    return new HttpPolicy(
        origins.isEmpty() ? List.of() : Arrays.stream(origins.split(",")).map(String::trim).filter(o -> !o.isEmpty()).toList(),
        env.intValue("TOKENRAIL_MAX_URL_BYTES", DEFAULT.maxUrlBytes(), 256, 65_536),
        env.intValue("TOKENRAIL_MAX_HEADER_BYTES", DEFAULT.maxHeaderBytes(), 1_024, 65_536));
  }

  public HttpPolicy withCorsOrigins(List<String> origins) {
    return new HttpPolicy(origins, maxUrlBytes, maxHeaderBytes);
  }
}
