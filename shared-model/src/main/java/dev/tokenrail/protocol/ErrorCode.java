package dev.tokenrail.protocol;

import java.util.Arrays;
import java.util.Optional;

/** The stable {@code code} of an {@code error} event. Clients may switch on it; messages are for people. */
public enum ErrorCode {
  MODEL_UNAVAILABLE("model_unavailable"),
  RATE_LIMITED("rate_limited"),
  TIMEOUT("timeout"),
  INVALID_REQUEST("invalid_request"),
  INTERNAL("internal");

  private final String wireName;

  ErrorCode(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static Optional<ErrorCode> fromWireName(String name) {
    return Arrays.stream(values()).filter(c -> c.wireName.equals(name)).findFirst();
  }
}
