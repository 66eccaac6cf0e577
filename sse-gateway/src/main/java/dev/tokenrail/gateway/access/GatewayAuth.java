package dev.tokenrail.gateway.access;

import dev.tokenrail.gateway.http.ApiErrors;
import dev.tokenrail.gateway.http.Callers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the bearer JWT of an API call (vertx-auth-jwt: signature, {@code exp}, {@code nbf}, and the
 * issuer and audience when configured; only the configured algorithm is accepted, so {@code alg: none}
 * never is) and tells whose call it is: the token's subject. Browsers' {@code EventSource} cannot send
 * headers, so the events route also takes the token as the {@code access_token} query parameter.
 */
public final class GatewayAuth {

  private static final Logger log = LoggerFactory.getLogger(GatewayAuth.class);
  /** How often the JWKS is fetched again, so keys an identity provider rotates in are picked up. */
  static final Duration JWKS_REFRESH = Duration.ofMinutes(5);

  private final Vertx vertx;
  private final AuthSettings settings;
  /** How often a token signed with a key the gateway doesn't know may make it fetch the JWKS early. */
  static final Duration UNKNOWN_KEY_REFETCH = Duration.ofSeconds(30);

  /** Replaced whole when the JWKS is fetched again; read on the event loop. */
  private volatile JWTAuth jwt;
  private volatile java.util.Set<String> knownKeyIds = java.util.Set.of();
  private HttpClient jwksClient;
  private long lastUnknownKeyFetch = System.nanoTime() - UNKNOWN_KEY_REFETCH.toNanos();

  private GatewayAuth(Vertx vertx, AuthSettings settings) {
    this.vertx = vertx;
    this.settings = settings;
  }

  /**
   * Ready once the keys are known: at once for a secret or a PEM key; after the first fetch for a JWKS
   * URL (which fails the gateway's start if the URL doesn't answer with keys — better than a gateway that
   * turns every caller away). Later fetches that fail keep the keys the gateway has.
   */
  public static Future<GatewayAuth> create(Vertx vertx, AuthSettings settings) {
    GatewayAuth auth = new GatewayAuth(vertx, settings);
    if (settings.jwksUrl().isEmpty()) {
      auth.jwt = JWTAuth.create(vertx, auth.options(List.of()));
      return Future.succeededFuture(auth);
    }
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(5_000));
    auth.jwksClient = client;
    return auth.fetchKeys(client).map(v -> {
      vertx.setPeriodic(JWKS_REFRESH.toMillis(), id -> auth.fetchKeys(client)
          .onFailure(e -> log.warn("JWKS refresh from {} failed; keeping the keys we have: {}", settings.jwksUrl().get(),
              e.toString())));
      return auth;
    });
  }

  private Future<Void> fetchKeys(HttpClient client) {
    URI url = settings.jwksUrl().orElseThrow();
    return client.request(new RequestOptions().setAbsoluteURI(url.toString()).setTimeout(10_000))
        .compose(request -> request.send())
        .compose(response -> response.statusCode() == 200 ? response.body()
            : Future.failedFuture("JWKS " + url + " answered " + response.statusCode()))
        .map(body -> {
          List<JsonObject> keys = new ArrayList<>();
          JsonArray array = new JsonObject(body).getJsonArray("keys");
          for (int i = 0; array != null && i < array.size(); i++) {
            JsonObject key = array.getJsonObject(i);
            // Signing keys only; an encryption key in the set is not ours to verify with.
            if (!"enc".equals(key.getString("use"))) {
              keys.add(key);
            }
          }
          if (keys.isEmpty()) {
            throw new IllegalStateException("JWKS " + url + " has no signing keys");
          }
          jwt = JWTAuth.create(vertx, options(keys));
          knownKeyIds = keys.stream().map(k -> k.getString("kid")).filter(java.util.Objects::nonNull)
              .collect(java.util.stream.Collectors.toUnmodifiableSet());
          log.info("JWT keys from {}: {}", url, keys.stream().map(k -> k.getString("kid", "(no kid)")).toList());
          return null;
        });
  }

  private JWTAuthOptions options(List<JsonObject> jwks) {
    JWTAuthOptions options = new JWTAuthOptions();
    settings.hmacSecret().ifPresent(secret ->
        options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
    settings.publicKeyPem().ifPresent(pem ->
        options.addPubSecKey(new PubSecKeyOptions().setAlgorithm(settings.publicKeyAlgorithm()).setBuffer(pem)));
    jwks.forEach(options::addJwk);
    JWTOptions checks = new JWTOptions().setLeeway(5);
    settings.issuer().ifPresent(checks::setIssuer);
    settings.audience().ifPresent(a -> checks.setAudience(List.of(a)));
    options.setJWTOptions(checks);
    return options;
  }

  /** Puts the caller's subject on the context and continues, or answers 401. */
  public void handle(RoutingContext ctx) {
    String token = bearer(ctx);
    if (token == null) {
      unauthorized(ctx, false);
      return;
    }
    jwt.authenticate(new TokenCredentials(token)).onComplete(ar -> {
      if (ar.failed() && signedWithAnUnknownKey(token)) {
        // An identity provider that rotates keys signs with the new one as soon as it publishes it: fetch
        // now rather than at the next refresh — at most every 30 s, so made-up key ids can't make us fetch.
        lastUnknownKeyFetch = System.nanoTime();
        fetchKeys(jwksClient)
            .onFailure(e -> log.warn("JWKS fetch for an unknown key id failed: {}", e.toString()))
            .transform(fetched -> jwt.authenticate(new TokenCredentials(token)))
            .onComplete(retried -> admit(ctx, retried));
        return;
      }
      admit(ctx, ar);
    });
  }

  private void admit(RoutingContext ctx, io.vertx.core.AsyncResult<io.vertx.ext.auth.User> result) {
    String subject = result.succeeded() ? result.result().principal().getString("sub") : null;
    if (subject == null || subject.isBlank()) {
      unauthorized(ctx, true);
      return;
    }
    Callers.authenticated(ctx, subject);
    ctx.next();
  }

  /** The token names a key id the JWKS didn't have when last fetched, and an early fetch is allowed. */
  private boolean signedWithAnUnknownKey(String token) {
    if (jwksClient == null || System.nanoTime() - lastUnknownKeyFetch < UNKNOWN_KEY_REFETCH.toNanos()) {
      return false;
    }
    try {
      String header = new String(java.util.Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))),
          java.nio.charset.StandardCharsets.UTF_8);
      Object kid = new JsonObject(header).getValue("kid");
      return kid instanceof String id && !knownKeyIds.contains(id);
    } catch (RuntimeException notAJwt) {
      return false;
    }
  }

  private static String bearer(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header != null) {
      return header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
    }
    if (ctx.request().method() == io.vertx.core.http.HttpMethod.GET && ctx.request().path().endsWith("/events")) {
      return ctx.request().getParam("access_token");
    }
    return null;
  }

  private static void unauthorized(RoutingContext ctx, boolean tokenGiven) {
    ctx.response().putHeader("WWW-Authenticate",
        tokenGiven ? "Bearer realm=\"tokenrail\", error=\"invalid_token\"" : "Bearer realm=\"tokenrail\"");
    ApiErrors.send(ctx, 401, "unauthorized", tokenGiven
        ? "The bearer token is not valid (signature, expiry, issuer or audience)." : "A bearer token is required.");
  }
}
