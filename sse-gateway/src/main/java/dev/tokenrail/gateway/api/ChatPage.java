package dev.tokenrail.gateway.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chat page, served with a Content-Security-Policy that allows exactly its own inline script and
 * style (by their SHA-256, computed from the file at start-up) and connections to this origin only —
 * so even if model output ever reached the DOM as markup, no injected script could run or send data away.
 */
public final class ChatPage {

  private static final Pattern SCRIPT = Pattern.compile("<script>(.*?)</script>", Pattern.DOTALL);
  private static final Pattern STYLE = Pattern.compile("<style>(.*?)</style>", Pattern.DOTALL);

  private final Buffer html;
  private final String contentSecurityPolicy;

  private ChatPage(Buffer html, String contentSecurityPolicy) {
    this.html = html;
    this.contentSecurityPolicy = contentSecurityPolicy;
  }

  public static ChatPage load() {
    try (InputStream in = ChatPage.class.getResourceAsStream("/webroot/index.html")) {
      if (in == null) {
        throw new IllegalStateException("webroot/index.html is missing from the classpath");
      }
      String page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      String csp = "default-src 'none'; script-src " + hashes(SCRIPT, page) + "; style-src " + hashes(STYLE, page)
          + "; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
      return new ChatPage(Buffer.buffer(page), csp);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String contentSecurityPolicy() {
    return contentSecurityPolicy;
  }

  public void serve(RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .putHeader("Content-Security-Policy", contentSecurityPolicy)
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Cache-Control", "no-cache")
        .end(html);
  }

  private static String hashes(Pattern element, String page) {
    StringBuilder sources = new StringBuilder();
    Matcher m = element.matcher(page);
    while (m.find()) {
      sources.append(sources.length() == 0 ? "" : " ").append("'sha256-").append(sha256(m.group(1))).append('\'');
    }
    return sources.length() == 0 ? "'none'" : sources.toString();
  }

  private static String sha256(String content) {
    try {
      return Base64.getEncoder().encodeToString(
          MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
