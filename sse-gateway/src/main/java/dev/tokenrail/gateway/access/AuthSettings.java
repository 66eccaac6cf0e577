package dev.tokenrail.gateway.access;

import dev.tokenrail.runtime.Env;
import java.net.URI;
import java.util.Optional;

/**
 * How the gateway authenticates API calls: bearer JWTs signed with an HMAC secret (HS256), verified with a
 * PEM public key (RS256 or ES256), or with the keys an identity provider publishes at a JWKS URL; optionally
 * with a required issuer and audience. None set: the API is open (the gateway warns).
 *
 * <p>{@code toString} never shows the secret.
 *
 * @param protectMetrics {@code /metrics} needs a valid token too (for Prometheus, a token it is given)
 */
public record AuthSettings(Optional<String> hmacSecret, Optional<String> publicKeyPem, String publicKeyAlgorithm,
                           Optional<URI> jwksUrl, Optional<String> issuer, Optional<String> audience,
                           boolean protectMetrics) {

  public static final AuthSettings NONE = new AuthSettings(Optional.empty(), Optional.empty(), "RS256",
      Optional.empty(), Optional.empty(), Optional.empty(), false);

  public AuthSettings {
    if (!publicKeyAlgorithm.equals("RS256") && !publicKeyAlgorithm.equals("ES256")) {
      throw new IllegalArgumentException("TOKENRAIL_JWT_ALGORITHM must be RS256 or ES256");
    }
    if (hmacSecret.isPresent() && hmacSecret.get().length() < 32) {
      throw new IllegalArgumentException("TOKENRAIL_JWT_SECRET must have at least 32 characters");
    }
    jwksUrl.ifPresent(url -> {
      if (!"https".equals(url.getScheme()) && !"http".equals(url.getScheme()) || url.getHost() == null) {
        throw new IllegalArgumentException("TOKENRAIL_JWT_JWKS_URL must be an http(s) URL");
      }
    });
    if (protectMetrics && hmacSecret.isEmpty() && publicKeyPem.isEmpty() && jwksUrl.isEmpty()) {
      throw new IllegalArgumentException("TOKENRAIL_METRICS_REQUIRE_AUTH needs a JWT key to check tokens with");
    }
  }

  /**
   * {@code TOKENRAIL_JWT_SECRET} (HS256), {@code TOKENRAIL_JWT_PUBLIC_KEY} (PEM) with
   * {@code TOKENRAIL_JWT_ALGORITHM} (RS256, ES256), {@code TOKENRAIL_JWT_JWKS_URL}; {@code TOKENRAIL_JWT_ISSUER},
   * {@code TOKENRAIL_JWT_AUDIENCE}; {@code TOKENRAIL_METRICS_REQUIRE_AUTH}.
   */
  public static AuthSettings fromEnv(Env env) {
    return new AuthSettings(nonBlank(env.string("TOKENRAIL_JWT_SECRET", "")),
        nonBlank(env.string("TOKENRAIL_JWT_PUBLIC_KEY", "")), env.string("TOKENRAIL_JWT_ALGORITHM", "RS256"),
        nonBlank(env.string("TOKENRAIL_JWT_JWKS_URL", "")).map(URI::create),
        nonBlank(env.string("TOKENRAIL_JWT_ISSUER", "")), nonBlank(env.string("TOKENRAIL_JWT_AUDIENCE", "")),
        Boolean.parseBoolean(env.string("TOKENRAIL_METRICS_REQUIRE_AUTH", "false")));
  }

  public static AuthSettings hs256(String secret, String issuer, String audience) {
    return new AuthSettings(Optional.of(secret), Optional.empty(), "RS256", Optional.empty(),
        Optional.ofNullable(issuer), Optional.ofNullable(audience), false);
  }

  public static AuthSettings jwks(URI url, String issuer, String audience) {
    return new AuthSettings(Optional.empty(), Optional.empty(), "RS256", Optional.of(url),
        Optional.ofNullable(issuer), Optional.ofNullable(audience), false);
  }

  public AuthSettings withProtectedMetrics() {
    return new AuthSettings(hmacSecret, publicKeyPem, publicKeyAlgorithm, jwksUrl, issuer, audience, true);
  }

  public boolean enabled() {
    return hmacSecret.isPresent() || publicKeyPem.isPresent() || jwksUrl.isPresent();
  }

  @Override
  public String toString() {
    if (!enabled()) {
      return "none";
    }
    StringBuilder s = new StringBuilder();
    hmacSecret.ifPresent(x -> s.append("HS256 (secret set)"));
    publicKeyPem.ifPresent(x -> s.append(s.length() > 0 ? ", " : "").append(publicKeyAlgorithm).append(" (public key set)"));
    jwksUrl.ifPresent(u -> s.append(s.length() > 0 ? ", " : "").append("JWKS ").append(u));
    issuer.ifPresent(i -> s.append(", issuer ").append(i));
    audience.ifPresent(a -> s.append(", audience ").append(a));
    return s.append(protectMetrics ? ", /metrics protected" : "").toString();
  }

  private static Optional<String> nonBlank(String value) {
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value);
  }
}
