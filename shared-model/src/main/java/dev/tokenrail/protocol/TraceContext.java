package dev.tokenrail.protocol;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A W3C Trace Context {@code traceparent} ({@code 00-<trace id>-<parent id>-<flags>}): the one id that
 * follows a message from the POST through the requests record, the worker and every event record. A
 * process that acts on it continues the trace with a span id of its own ({@link #child}).
 */
public record TraceContext(String traceId, String spanId, String flags) {

  /** The Kafka record header and HTTP header that carry it. */
  public static final String HEADER = "traceparent";

  private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");
  private static final String ZERO_TRACE = "0".repeat(32);
  private static final String ZERO_SPAN = "0".repeat(16);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  /** The header's context, or empty when it is missing or not a valid version-00 traceparent. */
  public static Optional<TraceContext> parse(String header) {
    if (header == null) {
      return Optional.empty();
    }
    var m = TRACEPARENT.matcher(header.trim());
    if (!m.matches() || m.group(1).equals(ZERO_TRACE) || m.group(2).equals(ZERO_SPAN)) {
      return Optional.empty();
    }
    return Optional.of(new TraceContext(m.group(1), m.group(2), m.group(3)));
  }

  /**
   * The trace of whatever carried {@code header} (a request's or a record's {@code traceparent}, or null),
   * continued here with a span of this process; a missing or malformed one starts a new trace.
   */
  public static TraceContext continued(String header) {
    return parse(header).map(TraceContext::child).orElseGet(TraceContext::newTrace);
  }

  /** A new trace, sampled. */
  public static TraceContext newTrace() {
    return new TraceContext(randomHex(16), randomHex(8), "01");
  }

  /** The same trace, with a new span of the process that continues it. */
  public TraceContext child() {
    return new TraceContext(traceId, randomHex(8), flags);
  }

  public String header() {
    return "00-" + traceId + "-" + spanId + "-" + flags;
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HEX.formatHex(b);
  }
}
