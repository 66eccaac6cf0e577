package dev.tokenrail.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * Checks the bearer JWT of an API call (vertx-auth-jwt: signature, {@code exp}, {@code nbf}, and the
 * issuer and audience when configured; only the configured algorithm is accepted, so {@code alg: none}
 * never is) and tells whose call it is: the token's subject. Browsers' {@code EventSource} cannot send
 * headers, so the events route also takes the token as the {@code access_token} query parameter.
 */
final class GatewayAuth {

  static final String SUBJECT = "tokenrail.subject";

  private final JWTAuth jwt;

  private GatewayAuth(JWTAuth jwt) {
    this.jwt = jwt;
  }

  static GatewayAuth create(Vertx vertx, AuthSettings settings) {
    JWTAuthOptions options = new JWTAuthOptions();
    settings.hmacSecret().ifPresent(secret ->
        options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
    settings.publicKeyPem().ifPresent(pem ->
        options.addPubSecKey(new PubSecKeyOptions().setAlgorithm(settings.publicKeyAlgorithm()).setBuffer(pem)));
    JWTOptions checks = new JWTOptions().setLeeway(5);
    settings.issuer().ifPresent(checks::setIssuer);
    settings.audience().ifPresent(a -> checks.setAudience(List.of(a)));
    options.setJWTOptions(checks);
    return new GatewayAuth(JWTAuth.create(vertx, options));
  }

  /** Puts the caller's subject on the context and continues, or answers 401. */
  void handle(RoutingContext ctx) {
    String token = bearer(ctx);
    if (token == null) {
      unauthorized(ctx, false);
      return;
    }
    jwt.authenticate(new TokenCredentials(token)).onComplete(ar -> {
      String subject = ar.succeeded() ? ar.result().principal().getString("sub") : null;
      if (subject == null || subject.isBlank()) {
        unauthorized(ctx, true);
        return;
      }
      ctx.put(SUBJECT, subject);
      ctx.next();
    });
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
