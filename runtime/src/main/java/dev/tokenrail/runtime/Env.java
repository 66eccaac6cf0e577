package dev.tokenrail.runtime;

import java.util.Map;
import java.util.Optional;

/**
 * Typed reads of configuration variables. Built from {@code System.getenv()} in a {@code main} and
 * nowhere deeper; tests build one from a plain map. A malformed value fails start-up with a message that
 * names the variable — never a silent default.
 */
public record Env(Map<String, String> vars) {

  public static Env system() {
    return new Env(System.getenv());
  }

  public Optional<String> optional(String name) {
    String v = vars.get(name);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
  }

  public String string(String name, String defaultValue) {
    return optional(name).orElse(defaultValue);
  }

  public int intValue(String name, int defaultValue, int min, int max) {
    return (int) longValue(name, defaultValue, min, max);
  }

  public long longValue(String name, long defaultValue, long min, long max) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    long v;
    try {
      v = Long.parseLong(raw.get());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be an integer, got '" + raw.get() + "'");
    }
    if (v < min || v > max) {
      throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + v);
    }
    return v;
  }
}
