package dev.tokenrail.e2e;

import dev.tokenrail.gateway.access.AuthSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

/** Mints the HS256 tokens a gateway configured with {@link #SETTINGS} accepts, as an identity provider would. */
final class TestTokens {

  static final String SECRET = "test-secret-of-at-least-thirty-two-characters";
  static final String ISSUER = "https://issuer.example";
  static final String AUDIENCE = "tokenrail";
  static final AuthSettings SETTINGS = AuthSettings.hs256(SECRET, ISSUER, AUDIENCE);

  private final JWTAuth signer;

  TestTokens(Vertx vertx) {
    this(vertx, SECRET);
  }

  TestTokens(Vertx vertx, String secret) {
    this.signer = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret))
        .setJWTOptions(new JWTOptions().setNoTimestamp(true)));
  }

  /** A token for {@code subject}, valid for ten minutes. */
  String forSubject(String subject) {
    return sign(claims(subject));
  }

  String sign(JsonObject claims) {
    return signer.generateToken(claims);
  }

  static JsonObject claims(String subject) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("sub", subject).put("iss", ISSUER).put("aud", AUDIENCE).put("iat", now)
        .put("exp", now + 600);
  }
}
