package dev.tokenrail.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedactionTest {

  @Test
  void keysTokensAndRegisteredSecretsAreMasked() {
    Redaction.register("plain-looking-configured-secret");
    String text = "Incorrect API key provided: sk-proj-abcDEF123456. Authorization: Bearer abc.def-ghi "
        + "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl api_key=\"k-98765\" x-api-key: zzz999 "
        + "and plain-looking-configured-secret";
    String redacted = Redaction.redact(text);
    assertThat(redacted).doesNotContain("sk-proj-abcDEF123456", "abc.def-ghi", "eyJhbGciOiJIUzI1NiJ9", "k-98765",
        "zzz999", "plain-looking-configured-secret");
    assertThat(redacted).startsWith("Incorrect API key provided: ***.");
  }

  @Test
  void ordinaryTextIsKept() {
    assertThat(Redaction.redact("connection refused to localhost:8080 after 3 tries"))
        .isEqualTo("connection refused to localhost:8080 after 3 tries");
  }

  @Test
  void describeNamesEveryCauseWithoutTheSecret() {
    Exception error = new IllegalStateException("call failed", new RuntimeException("401 sk-secret-key-123456"));
    assertThat(Redaction.describe(error))
        .isEqualTo("java.lang.IllegalStateException: call failed <- java.lang.RuntimeException: 401 ***");
  }
}
