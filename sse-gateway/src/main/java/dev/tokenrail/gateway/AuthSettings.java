package dev.tokenrail.gateway;

import dev.tokenrail.model.Env;
import java.util.Optional;

/**
 * How the gateway authenticates API calls: bearer JWTs signed with an HMAC secret (HS256) or verified
 * with a PEM public key (RS256 or ES256), optionally with a required issuer and audience. None set:
 * the API is open (the launcher warns).
 *
 * <p>{@code toString} never shows the secret.
 */
public record AuthSettings(Optional<String> hmacSecret, Optional<String> publicKeyPem, String publicKeyAlgorithm,
                           Optional<String> issuer, Optional<String> audience) {

  public static final AuthSettings NONE =
      new AuthSettings(Optional.empty(), Optional.empty(), "RS256", Optional.empty(), Optional.empty());

  public AuthSettings {
    if (!publicKeyAlgorithm.equals("RS256") && !publicKeyAlgorithm.equals("ES256")) {
      throw new IllegalArgumentException("TOKENRAIL_JWT_ALGORITHM must be RS256 or ES256");
    }
    if (hmacSecret.isPresent() && hmacSecret.get().length() < 32) {
      throw new IllegalArgumentException("TOKENRAIL_JWT_SECRET must have at least 32 characters");
    }
  }

  /**
   * {@code TOKENRAIL_JWT_SECRET} (HS256), or {@code TOKENRAIL_JWT_PUBLIC_KEY} (PEM) with
   * {@code TOKENRAIL_JWT_ALGORITHM} (RS256, ES256); {@code TOKENRAIL_JWT_ISSUER}, {@code TOKENRAIL_JWT_AUDIENCE}.
   */
  public static AuthSettings fromEnv(Env env) {
    return new AuthSettings(nonBlank(env.string("TOKENRAIL_JWT_SECRET", "")),
        nonBlank(env.string("TOKENRAIL_JWT_PUBLIC_KEY", "")), env.string("TOKENRAIL_JWT_ALGORITHM", "RS256"),
        nonBlank(env.string("TOKENRAIL_JWT_ISSUER", "")), nonBlank(env.string("TOKENRAIL_JWT_AUDIENCE", "")));
  }

  public static AuthSettings hs256(String secret, String issuer, String audience) {
    return new AuthSettings(Optional.of(secret), Optional.empty(), "RS256", Optional.ofNullable(issuer),
        Optional.ofNullable(audience));
  }

  public boolean enabled() {
    return hmacSecret.isPresent() || publicKeyPem.isPresent();
  }

  @Override
  public String toString() {
    return enabled()
        ? (hmacSecret.isPresent() ? "HS256 (secret set)" : publicKeyAlgorithm + " (public key set)")
          + issuer.map(i -> ", issuer " + i).orElse("") + audience.map(a -> ", audience " + a).orElse("")
        : "none";
  }

  private static Optional<String> nonBlank(String value) {
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value);
  }
}
