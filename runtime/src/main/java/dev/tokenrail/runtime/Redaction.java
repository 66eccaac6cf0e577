package dev.tokenrail.runtime;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Takes credentials out of text bound for logs: provider error bodies quote API keys back ("Incorrect API
 * key provided: sk-…"), exception messages carry headers. The keys this process was configured with are
 * removed exactly; anything shaped like a key, a bearer token or a JWT is removed by pattern.
 */
public final class Redaction {

  private static final String MASK = "***";
  private static final List<Pattern> SHAPES = List.of(
      Pattern.compile("sk-[A-Za-z0-9_-]{6,}"), // OpenAI and Anthropic keys
      Pattern.compile("eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*"), // JWTs
      Pattern.compile("(?i)(?<=bearer )[A-Za-z0-9._~+/=-]+"),
      Pattern.compile("(?i)(?<=(api[_-]?key|x-api-key|access_token|authorization)[\"']?\\s{0,3}[:=]\\s{0,3}[\"']?)[^\\s\"',}&]+"));
  private static final Set<String> KNOWN = ConcurrentHashMap.newKeySet();

  private Redaction() {
  }

  /** A secret this process holds (an API key from its environment): removed from every redacted text. */
  public static void register(String secret) {
    if (secret != null && secret.length() >= 8) {
      KNOWN.add(secret);
    }
  }

  public static String redact(String text) {
    if (text == null) {
      return null;
    }
    String out = text;
    for (String secret : KNOWN) {
      out = out.replace(secret, MASK);
    }
    for (Pattern shape : SHAPES) {
      out = shape.matcher(out).replaceAll(MASK);
    }
    return out;
  }

  /** A failure as one log-safe line: its type and its message, redacted, and the same of its causes. */
  public static String describe(Throwable error) {
    StringBuilder s = new StringBuilder();
    int depth = 0;
    for (Throwable t = error; t != null && depth < 4; t = t.getCause(), depth++) {
      s.append(depth == 0 ? "" : " <- ").append(t.getClass().getName());
      if (t.getMessage() != null) {
        String message = redact(t.getMessage());
        s.append(": ").append(message.length() > 300 ? message.substring(0, 300) + "…" : message);
      }
    }
    return s.toString();
  }
}
