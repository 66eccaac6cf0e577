package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.gateway.http.HttpPolicy;
import dev.tokenrail.testkit.Http;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the HTTP server lets in and what it tells browsers: size limits on the request line and headers,
 * CORS only for configured origins, and the chat page's Content-Security-Policy.
 */
@ExtendWith(SharedKafka.class)
class HttpPolicyTest {

  private static final String ALLOWED = "https://chat.example.com";
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static TokenrailStack stack; // gateway 0: defaults (no CORS)
  private static String withCors;

  @BeforeAll
  static void start() {
    stack = TokenrailStack.withoutWorker(1);
    GatewayVerticle cors = TokenrailStack.startGateway(stack.vertx(),
        TokenrailStack.gatewayConfig(stack.kafka()).withHttp(HttpPolicy.DEFAULT.withCorsOrigins(List.of(ALLOWED))));
    withCors = "http://localhost:" + cors.actualPort();
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @Test
  void aConfiguredOriginGetsItsPreflightAnsweredAndOthersAreRefused() throws Exception {
    HttpResponse<String> ok = preflight(withCors, ALLOWED);
    assertThat(ok.statusCode()).isEqualTo(204);
    assertThat(ok.headers().firstValue("Access-Control-Allow-Origin")).contains(ALLOWED);
    assertThat(ok.headers().firstValue("Access-Control-Allow-Methods").orElse("")).contains("POST");
    assertThat(ok.headers().firstValue("Access-Control-Allow-Headers").orElse("").toLowerCase())
        .contains("content-type").contains("last-event-id");

    HttpResponse<String> other = preflight(withCors, "https://evil.example");
    assertThat(other.statusCode()).isEqualTo(403);
    assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    assertThat(other.body()).contains("origin_not_allowed");
  }

  /** A browser sends {@code Origin} on a same-origin POST too: the chat page the gateway serves must work. */
  @Test
  void theGatewaysOwnOriginIsAllowedWhateverOriginsAreConfigured() throws Exception {
    HttpResponse<String> own = HTTP.send(HttpRequest.newBuilder(URI.create(withCors + "/api/conversations/own-page/messages"))
        .header("Origin", withCors).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"from the gateway's own page\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(own.statusCode()).as(own.body()).isEqualTo(202);

    HttpResponse<String> elsewhere = HTTP.send(HttpRequest.newBuilder(URI.create(withCors + "/api/conversations/own-page/messages"))
        .header("Origin", "https://evil.example").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"from another site\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(elsewhere.statusCode()).isEqualTo(403);
  }

  @Test
  void withoutConfiguredOriginsNoBrowserOriginIsAllowed() throws Exception {
    HttpResponse<String> r = preflight(stack.baseUrl(), ALLOWED);
    assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
  }

  @Test
  void anOverlongUrlIs414AndOversizedHeadersAre431AndTheGatewayStillServes() throws Exception {
    String longId = "a".repeat(HttpPolicy.DEFAULT.maxUrlBytes() + 1);
    assertThat(Http.get(stack.baseUrl() + "/api/conversations/" + longId + "/events").status()).isEqualTo(414);
    HttpResponse<String> big = HTTP.send(HttpRequest.newBuilder(URI.create(stack.baseUrl() + "/health"))
        .header("X-Big", "b".repeat(HttpPolicy.DEFAULT.maxHeaderBytes() + 1)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(big.statusCode()).isEqualTo(431);
    assertThat(Http.get(stack.baseUrl() + "/health").status()).isEqualTo(200);
  }

  @Test
  void theChatPageAllowsOnlyItsOwnScriptAndStyleAndNoResponseIsSniffed() throws Exception {
    HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(URI.create(stack.baseUrl() + "/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);
    String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
    assertThat(csp).startsWith("default-src 'none';").contains("script-src 'sha256-").contains("style-src 'sha256-")
        .contains("connect-src 'self'").contains("frame-ancestors 'none'").doesNotContain("unsafe-inline");
    assertThat(page.headers().firstValue("Referrer-Policy")).contains("no-referrer");
    assertThat(page.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
    assertThat(Http.get(stack.baseUrl() + "/api/conversations/none-here").status()).isEqualTo(404);
    HttpResponse<String> api = HTTP.send(HttpRequest.newBuilder(URI.create(stack.baseUrl() + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(api.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
  }

  private static HttpResponse<String> preflight(String base, String origin) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/conversations/c1/messages"))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type,last-event-id")
        .build(), HttpResponse.BodyHandlers.ofString());
  }
}
